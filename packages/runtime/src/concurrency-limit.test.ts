import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from './concurrency-limit.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('ConcurrencyLimit', () => {
  it('runs at most `limit` tasks at once, the rest in arrival order, and every result comes back', async () => {
    const gate = new ConcurrencyLimit(3);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        gate.run(async () => {
          started.push(i);
          most = Math.max(most, ++running);
          await tick();
          running--;
          return i * 2;
        }),
      ),
    );
    expect(most).toBe(3);
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(gate.active).toBe(0);
    expect(gate.waiting).toBe(0);
  });

  it('a failing task frees its slot and its error reaches its caller only', async () => {
    const gate = new ConcurrencyLimit(1);
    const failed = gate.run(async () => {
      throw new Error('boom');
    });
    const next = gate.run(async () => 'ok');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
    expect(gate.active).toBe(0);
  });
});
