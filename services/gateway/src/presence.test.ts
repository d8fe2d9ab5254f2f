import type { KV, NatsConnection } from '@chat/bus';
import { createLogger } from '@chat/runtime';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PresenceTracker } from './presence.ts';

/** A tracker whose lease puts and deletes are recorded, never sent (`start` is not called). */
function tracker() {
  const changes: [string, boolean][] = [];
  const kv = { put: vi.fn(async () => 0), delete: vi.fn(async () => undefined) };
  const presence = new PresenceTracker({} as NatsConnection, kv as unknown as KV, 'bucket', 'g1', createLogger('test', 'silent'), (user, online) =>
    changes.push([user, online]),
  );
  return { presence, changes, kv };
}

describe('presence of long-polling users', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a poll makes the user online for its time; polls extend it, a shorter one never cuts it short', async () => {
    const { presence, changes } = tracker();
    presence.poll('ann', 10_000);
    expect(presence.isOnline('ann')).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    presence.poll('ann', 2_000);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(presence.isOnline('ann')).toBe(true);
    presence.poll('ann', 10_000);
    await vi.advanceTimersByTimeAsync(9_000);
    expect(presence.isOnline('ann')).toBe(true);
    await vi.advanceTimersByTimeAsync(1_001);
    expect(presence.isOnline('ann')).toBe(false);
    // One "online", one "offline": no flicker between polls.
    expect(changes).toEqual([
      ['ann', true],
      ['ann', false],
    ]);
  });

  it('a socket and a poll of one user are one presence: the poll lapsing leaves the socket’s, and stop clears the timers', async () => {
    const { presence, changes } = tracker();
    presence.connect('bob');
    presence.poll('bob', 1_000);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(presence.isOnline('bob')).toBe(true);
    presence.disconnect('bob');
    expect(presence.isOnline('bob')).toBe(false);
    presence.poll('cid', 5_000);
    await presence.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(changes).toEqual([
      ['bob', true],
      ['bob', false],
      ['cid', true],
    ]);
  });
});
