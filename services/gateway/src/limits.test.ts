import { describe, expect, it } from 'vitest';
import { TokenBucket, UserAllowance } from './limits.ts';

describe('token bucket', () => {
  it('allows a burst up to capacity, then the refill rate', () => {
    const bucket = new TokenBucket(3, 2, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(499)).toBe(false);
    expect(bucket.take(500)).toBe(true);
    expect(bucket.take(10_000)).toBe(true);
  });
});

describe('user allowance', () => {
  const limits = { frames: { capacity: 2, perSecond: 1 }, posts: { capacity: 1, perSecond: 1 }, floodRefusals: 3, floodWindowMs: 1000 };

  it('limits, then calls a sustained excess a flood', () => {
    const a = new UserAllowance(limits, 0);
    expect([a.frame(0), a.frame(0), a.frame(0), a.frame(0), a.frame(0)]).toEqual(['ok', 'ok', 'limited', 'limited', 'flood']);
  });

  it('forgets refusals outside the window', () => {
    const a = new UserAllowance(limits, 0);
    a.frame(0);
    a.frame(0);
    expect(a.frame(0)).toBe('limited');
    expect(a.frame(0)).toBe('limited');
    expect(a.frame(1500)).toBe('ok');
    a.frame(1500);
    expect(a.frame(1500)).toBe('limited');
  });

  it('keeps posts and frames apart', () => {
    const a = new UserAllowance(limits, 0);
    expect(a.post(0)).toBe('ok');
    expect(a.post(0)).toBe('limited');
    expect(a.frame(0)).toBe('ok');
  });
});
