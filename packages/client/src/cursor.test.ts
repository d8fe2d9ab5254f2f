import { describe, expect, it } from 'vitest';
import { Cursor } from './cursor.ts';

describe('cursor', () => {
  it('lets each seq through once, in order, whatever repeats around it', () => {
    const cursor = new Cursor();
    // A replay after a reconnect overlaps what the old socket delivered; a long-poll overlaps both.
    const arrivals = [5, 6, 7, 6, 7, 8, 8, 9, 7, 10];
    const delivered = arrivals.filter((seq) => cursor.offer(seq));
    expect(delivered).toEqual([5, 6, 7, 8, 9, 10]);
    expect(cursor.value).toBe(10);
  });

  it('starts from a given point: nothing at or below it is delivered', () => {
    const cursor = new Cursor(42);
    expect(cursor.offer(42)).toBe(false);
    expect(cursor.offer(41)).toBe(false);
    expect(cursor.offer(43)).toBe(true);
  });

  it('only moves forward', () => {
    const cursor = new Cursor(10);
    cursor.advanceTo(7);
    expect(cursor.value).toBe(10);
    cursor.advanceTo(12);
    expect(cursor.value).toBe(12);
    const fresh = new Cursor();
    fresh.advanceTo(3);
    expect(fresh.value).toBe(3);
  });
});
