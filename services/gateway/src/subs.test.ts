import { describe, expect, it } from 'vitest';
import { Subs } from './subs.ts';

/** The same operations on a `Subs` and a `Map` give the same answers and contents. */
function both() {
  const subs = new Subs<number>();
  const map = new Map<string, number>();
  const check = () => {
    expect(subs.size).toBe(map.size);
    expect([...subs]).toEqual([...map]);
    expect([...subs.keys()]).toEqual([...map.keys()]);
  };
  return { subs, map, check };
}

describe('Subs (a map that holds one entry without a Map)', () => {
  it('behaves as a Map through growing to several entries and shrinking back', () => {
    const { subs, map, check } = both();
    check();
    for (const [k, v] of [
      ['a', 1],
      ['a', 2],
      ['b', 3],
      ['c', 4],
    ] as const) {
      subs.set(k, v);
      map.set(k, v);
      check();
      expect(subs.get(k)).toBe(map.get(k));
      expect(subs.has(k)).toBe(true);
    }
    for (const k of ['b', 'x', 'a', 'c', 'c']) {
      expect(subs.delete(k)).toBe(map.delete(k));
      check();
      expect(subs.has(k)).toBe(false);
      expect(subs.get(k)).toBeUndefined();
    }
    subs.set('d', 5);
    map.set('d', 5);
    check();
  });

  it('one entry: set, replace, delete, and nothing else answers', () => {
    const { subs, map, check } = both();
    subs.set('room', 1);
    map.set('room', 1);
    expect(subs.get('other')).toBeUndefined();
    expect(subs.has('other')).toBe(false);
    expect(subs.delete('other')).toBe(false);
    subs.set('room', 7);
    map.set('room', 7);
    check();
    expect(subs.delete('room')).toBe(true);
    map.delete('room');
    check();
  });
});
