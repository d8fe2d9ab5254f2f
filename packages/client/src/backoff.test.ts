import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay } from './backoff.ts';

const opts = { baseMs: 100, maxMs: 5000 };

describe('backoff with equal jitter', () => {
  it('doubles each step up to the cap: at least half of the step, at most all of it', () => {
    const low = [0, 1, 2, 3, 4, 5, 6, 10].map((a) => backoffDelay(a, opts, () => 0));
    const high = [0, 1, 2, 3, 4, 5, 6, 10].map((a) => backoffDelay(a, opts, () => 1));
    expect(low).toEqual([50, 100, 200, 400, 800, 1600, 2500, 2500]);
    expect(high).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it('spreads clients that fail at the same instant over the window', () => {
    const delays = Array.from({ length: 1000 }, () => backoffDelay(3, opts));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(400);
    expect(Math.max(...delays)).toBeLessThanOrEqual(800);
    // Not bunched: a good share in each half of the random part.
    expect(delays.filter((d) => d < 600).length).toBeGreaterThan(300);
    expect(delays.filter((d) => d >= 600).length).toBeGreaterThan(300);
  });

  it('never overflows on a huge attempt count', () => {
    expect(backoffDelay(10_000, opts, () => 1)).toBe(5000);
    expect(backoffDelay(-1, opts, () => 1)).toBe(100);
  });

  it('counts attempts and starts over after reset', () => {
    const b = new Backoff(opts, () => 1);
    expect([b.next(), b.next(), b.next()]).toEqual([100, 200, 400]);
    expect(b.attempts).toBe(3);
    b.reset();
    expect(b.next()).toBe(100);
  });
});
