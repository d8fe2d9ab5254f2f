import { appErrorOf, isAppError } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import { AvatarPool } from './avatar-pool.ts';

const later = () => Date.now() + 60_000;
const wanted = async () => true;
const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
};
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'done',
    (e: unknown) => (isAppError(e) ? e.code : String(e)),
  );

describe('avatar pool', () => {
  it('runs one large picture at a time, queues a bounded number, and refuses the rest at once with 503', async () => {
    const pool = new AvatarPool({ largeSlots: 1, smallSlots: 1, queue: 2, largePixels: 100 });
    const g = gate();
    const first = pool.run('large', { deadline: later(), stillWanted: wanted }, () => g.opened);
    const queued = [
      pool.run('large', { deadline: later(), stillWanted: wanted }, async () => 'a'),
      pool.run('large', { deadline: later(), stillWanted: wanted }, async () => 'b'),
    ];
    const refused = pool.run('large', { deadline: later(), stillWanted: wanted }, async () => 'c');
    const err = await refused.catch((e: unknown) => e);
    expect(
      appErrorOf(() => {
        throw err;
      }),
    ).toMatchObject({ code: 'unavailable', details: { retry_after: 2 } });
    // The small lane is not held up by the large one.
    expect(await pool.run('small', { deadline: later(), stillWanted: wanted }, async () => 'small')).toBe('small');
    g.open();
    await first;
    expect(await Promise.all(queued)).toEqual(['a', 'b']);
  });

  it('drops a picture whose caller has given up by the time its turn comes', async () => {
    const pool = new AvatarPool({ largeSlots: 1, smallSlots: 1, queue: 5, largePixels: 100 });
    const g = gate();
    const first = pool.run('large', { deadline: later(), stillWanted: wanted }, () => g.opened);
    let ran = 0;
    const expired = pool.run('large', { deadline: Date.now() + 10, stillWanted: wanted }, async () => ran++);
    const abandoned = pool.run('large', { deadline: later(), stillWanted: async () => false }, async () => ran++);
    await new Promise((r) => setTimeout(r, 30));
    g.open();
    await first;
    expect(await codeOf(expired)).toBe('unavailable');
    expect(await codeOf(abandoned)).toBe('unavailable');
    expect(ran).toBe(0);
  });

  it('sorts pictures into lanes by their pixel count', () => {
    const pool = new AvatarPool({ largeSlots: 1, smallSlots: 2, queue: 1, largePixels: 4_000_000 });
    expect(pool.laneOf(4_000_000)).toBe('small');
    expect(pool.laneOf(4_000_001)).toBe('large');
  });
});
