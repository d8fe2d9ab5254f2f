import { afterAll, describe, expect, it } from 'vitest';
import { SCENARIOS } from './scenarios/index.ts';
import type { Ctx, ScenarioResult } from './scenarios/types.ts';

// The small size of every scenario, for correctness only: nothing lost, nothing duplicated, every
// page right. Timings on a shared test machine mean nothing, so none is asserted.
const finishers: (() => Promise<unknown>)[] = [];
const ctx: Ctx = {
  size: 'small',
  natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  // A modest fixed generator budget: the small fan-out then offers at most 10 000 deliveries/s.
  capacity: { receivePerSecond: 20_000, publishPerSecond: 20_000, sendPerSecond: 20_000 },
  log: () => undefined,
  onFinish: (fn) => finishers.push(fn),
};

afterAll(async () => {
  for (const fn of finishers.reverse()) await fn();
});

const run = (id: number): Promise<ScenarioResult> => SCENARIOS[id]!.run(ctx);

describe('benchmark scenarios, small size (correctness only)', () => {
  it('1. fan-out: every socket of the gateway and of bare uWS gets every frame once', { timeout: 120_000 }, async () => {
    const r = await run(1);
    expect(r.correctness).toMatchObject({ ok: true, lost: 0, duplicated: 0 });
    expect(r.steps!.every((s) => s.lost === 0 && s.dups === 0 && s.achieved > 0)).toBe(true);
  });

  it('2. end to end: every member gets every post once, on the gateway and the Socket.IO peer, and every post is persisted', { timeout: 120_000 }, async () => {
    const r = await run(2);
    expect(r.correctness).toMatchObject({ ok: true, lost: 0, duplicated: 0 });
    const detail = r.correctness.detail as { persisted: number; posted: number };
    expect(detail.posted).toBeGreaterThan(0);
    expect(detail.persisted).toBe(detail.posted);
  });

  it('3. connections: every idle socket opens on the gateway, bare uWS and Socket.IO', { timeout: 120_000 }, async () => {
    const r = await run(3);
    expect(r.correctness).toMatchObject({ ok: true, lost: 0 });
  });

  it('5. projection rebuild: every seeded event lands in the read models exactly once', { timeout: 180_000 }, async () => {
    const r = await run(5);
    expect(r.correctness).toMatchObject({ ok: true, lost: 0, duplicated: 0 });
  });

  it('4. history: the first and the deep page are full, ordered and end where they should; the no-op answers', { timeout: 120_000 }, async () => {
    const r = await run(4);
    expect(r.correctness).toMatchObject({ ok: true });
  });

  it('6. reconnect storm: every socket resumes with every message after its cursor, once', { timeout: 180_000 }, async () => {
    const r = await run(6);
    expect(r.correctness).toMatchObject({ ok: true, lost: 0, duplicated: 0 });
  });

  it('7. live path designs: every probe reaches the socket once through each design', { timeout: 120_000 }, async () => {
    const r = await run(7);
    expect(r.correctness).toMatchObject({ ok: true, lost: 0, duplicated: 0 });
    expect(r.rows).toHaveLength(3);
  });
});
