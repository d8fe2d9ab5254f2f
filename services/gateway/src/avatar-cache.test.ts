import { describe, expect, it } from 'vitest';
import { AvatarCache } from './avatar-cache.ts';

const b = (n: number, fill = 1) => Buffer.alloc(n, fill);

describe('avatar cache', () => {
  it('keeps at most its byte budget, dropping the least recently used', () => {
    const cache = new AvatarCache(300, 300);
    cache.set('a', b(100));
    cache.set('b', b(100));
    cache.set('c', b(100));
    expect(cache.get('a')).toBeDefined(); // a is now the most recent
    cache.set('d', b(100));
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')].every(Boolean)).toBe(true);
    expect(cache.bytes).toBe(300);
  });

  it('does not keep an entry larger than its per-entry bound, nor anything with no budget', () => {
    const cache = new AvatarCache(1000, 100);
    cache.set('big', b(101));
    expect(cache.get('big')).toBeUndefined();
    const none = new AvatarCache(0);
    none.set('a', b(1));
    expect(none.size).toBe(0);
  });

  it('replacing a key counts its bytes once', () => {
    const cache = new AvatarCache(1000, 1000);
    cache.set('a', b(100));
    cache.set('a', b(50));
    expect(cache.bytes).toBe(50);
    expect(cache.size).toBe(1);
  });

  it('loads a missing key once for concurrent callers, and forgets failures', async () => {
    const cache = new AvatarCache(1000, 1000);
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 10));
      return b(10, 7);
    };
    const results = await Promise.all(Array.from({ length: 5 }, () => cache.getOrLoad('k', load)));
    expect(loads).toBe(1);
    expect(results.every((r) => r[0] === 7)).toBe(true);
    await cache.getOrLoad('k', load);
    expect(loads).toBe(1);
    await expect(cache.getOrLoad('missing', async () => Promise.reject(new Error('nope')))).rejects.toThrow('nope');
    expect(await cache.getOrLoad('missing', async () => b(1))).toHaveLength(1);
  });
});
