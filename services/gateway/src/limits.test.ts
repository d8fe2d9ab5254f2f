import { describe, expect, it } from 'vitest';
import { rateLimits, TokenBucket, UserAllowance } from './limits.ts';

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
  const limits = {
    frames: { capacity: 2, perSecond: 1 },
    subscriptions: { capacity: 4, perSecond: 1 },
    posts: { capacity: 1, perSecond: 1 },
    floodRefusals: 3,
    floodWindowMs: 1000,
  };

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

  it('keeps subscriptions apart from the other frames: a returning device subscribes to every room it may follow in one burst', () => {
    const a = new UserAllowance(limits, 0);
    expect([a.subscription(0), a.subscription(0), a.subscription(0), a.subscription(0), a.subscription(0)]).toEqual(['ok', 'ok', 'ok', 'ok', 'limited']);
    // Refused subscriptions are asked for again by every device that came back: never a flood,
    // and not counted towards one.
    expect(Array.from({ length: 10 }, () => a.subscription(0))).toEqual(Array(10).fill('limited'));
    expect(a.frame(0)).toBe('ok');
    expect([a.frame(0), a.frame(0)]).toEqual(['ok', 'limited']);
    const real = new UserAllowance(rateLimits(10, 30, 500), 0);
    expect(Array.from({ length: 500 }, () => real.subscription(0)).every((v) => v === 'ok')).toBe(true);
    expect(real.subscription(0)).toBe('limited');
  });
});
