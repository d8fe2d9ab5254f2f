import { CloseCode, subjects, type LiveFrame, type MessageView, type TimelineFrame } from '@chat/contracts';
import type { NatsConnection } from '@chat/bus';
import type { Logger } from '@chat/runtime';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BUFFER_LIMITS, CATCH_UP_MS, type HubDeps, REPLAY_MAX_MS, RoomHub, roomTopic } from './room-hub.ts';
import type { Socket } from './sockets.ts';
import type { TemplatedApp } from './uws.ts';
import { aMessage } from '@chat/contracts/fixtures';

// The hub's long-poll wait, without servers: a room held at feed position 10.

const message = (seq: number): MessageView => aMessage(seq);
const frame = (seq: number): LiveFrame & TimelineFrame => ({ type: 'message', room_id: 'r1', message: message(seq), seq });

const hubs: RoomHub[] = [];
/** A hub without servers, its feed at 10: `deps` and `app` replace the defaults given. */
function hub(deps: Partial<HubDeps> = {}, app: Partial<TemplatedApp> = {}): RoomHub {
  const nc = { subscribe: () => ({ unsubscribe: () => undefined }) } as unknown as NatsConnection;
  const log = { warn: () => undefined, info: () => undefined, debug: () => undefined, error: () => undefined } as unknown as Logger;
  const h = new RoomHub({ publish: () => true, ...app } as unknown as TemplatedApp, nc, subjects('t'), log, 'g1', {
    feedPosition: () => 10,
    loadMembers: async () => ({ members: ['u1'], seq: 10 }),
    loadRecent: async () => ({ from: 10, frames: [] }),
    isOnline: () => false,
    evict: () => undefined,
    ...deps,
  });
  hubs.push(h);
  return h;
}
afterEach(() => {
  for (const h of hubs.splice(0)) h.close();
});

describe('room hub: the long-poll wait', () => {
  it('answers at once for a message that reached the room before the wait began (the poller read the page just before it)', async () => {
    const h = hub();
    h.hold('r1');
    // The poller's second look found nothing; the message reaches the hub before it starts waiting.
    h.deliver('r1', 11, [frame(11)]);
    const started = Date.now();
    expect(await h.waitForMessage('r1', 10, 2000, new AbortController().signal)).toBe(true);
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('waits for a message after the cursor, not for one at or before it', async () => {
    const h = hub();
    h.hold('r1');
    h.deliver('r1', 11, [frame(11)]);
    const waiting = h.waitForMessage('r1', 11, 2000, new AbortController().signal);
    setTimeout(() => h.deliver('r1', 12, [frame(12)]), 20);
    expect(await waiting).toBe(true);
    expect(await h.waitForMessage('r1', 12, 50, new AbortController().signal)).toBe(false);
  });
});

// A socket resuming from a cursor, with a feed that is where the test says: a fake uWS whose
// `publish` reaches the fake sockets subscribed to the topic, as uWS's does.
function seam(feedAt: number) {
  const feed = { at: feedAt };
  const subscribed = new Set<string>();
  const got: number[] = [];
  const ws = {
    subscribe: (topic: string) => subscribed.add(topic),
    unsubscribe: (topic: string) => subscribed.delete(topic),
    cork: (f: () => void) => f(),
    send: (raw: string) => got.push(JSON.parse(raw).seq),
    getBufferedAmount: () => 0,
    getUserData: () => ({ userId: 'u1', closed: false, closing: false }),
  } as unknown as Socket;
  const publish = (topic: string, raw: string) => {
    if (subscribed.has(topic)) got.push(JSON.parse(raw).seq);
    return true;
  };
  const h = hub(
    { feedPosition: () => feed.at, loadMembers: async () => ({ members: ['u1'], seq: feedAt }), loadRecent: async () => ({ from: feedAt, frames: [] }) },
    { publish },
  );
  h.hold('r1');
  h.add(ws, 'r1');
  /** The feed hands over an event of the room. */
  const fed = (seq: number, f: typeof frame = frame) => {
    h.deliver('r1', seq, [f(seq)]);
    feed.at = seq;
  };
  const opts = { pageSize: 100, current: () => true, drained: async () => undefined };
  return { h, ws, got, fed, opts, subscribed };
}

describe('room hub: the seam between a replay and live frames', () => {
  it('sends nothing from the read models past the feed: those events come live, once', async () => {
    const { h, ws, got, fed, opts } = seam(10);
    // The projection already holds 11 and 12; this gateway's feed does not yet.
    const cursor = await h.replay(ws, 'r1', 5, async () => [6, 7, 11, 12].map(frame), opts);
    fed(11);
    fed(12);
    expect(got).toEqual([6, 7, 11, 12]);
    expect(cursor).toBe(10);
  });

  it('a cursor ahead of the feed (the client saw more through another gateway) waits for it, then goes live after it', async () => {
    const { h, ws, got, fed, opts, subscribed } = seam(10);
    const replaying = h.replay(ws, 'r1', 12, async () => [], opts);
    await new Promise((r) => setTimeout(r, 50));
    expect(subscribed.has(roomTopic('r1'))).toBe(false);
    fed(11);
    fed(12);
    expect(await replaying).toBe(12);
    fed(13);
    expect(got).toEqual([13]);
  });

  it('a replay from memory goes into the socket a piece at a time, as it drains; what arrives meanwhile comes once, in order', async () => {
    const { h, ws, got, fed, subscribed } = seam(10);
    // A buffer that fills with what is sent and empties when the socket drains.
    let buffered = 0;
    let most = 0;
    Object.assign(ws, {
      send: (raw: string) => {
        got.push(JSON.parse(raw).seq);
        buffered += raw.length;
        most = Math.max(most, buffered);
      },
      getBufferedAmount: () => buffered,
    });
    const long = (seq: number) => ({ ...frame(seq), message: { ...message(seq), content: 'x'.repeat(3900) } });
    for (let seq = 11; seq <= 200; seq++) fed(seq, long);
    let drains = 0;
    const drained = async () => {
      buffered = 0;
      // The feed goes on while the socket drains.
      if (drains++ < 3) fed(201 + drains - 1, long);
    };
    const cursor = await h.replay(ws, 'r1', 10, async () => [], { pageSize: 100, current: () => true, drained });
    // Before, all 190 events (about 760 KB) went into the buffer at once.
    expect(most).toBeLessThan(BUFFER_LIMITS.ephemeral + 2 * JSON.stringify(long(1)).length);
    expect(drains).toBeGreaterThan(3);
    expect(cursor).toBe(203);
    expect(got).toEqual(Array.from({ length: 193 }, (_, i) => 11 + i));
    expect(subscribed.has(roomTopic('r1'))).toBe(true);
  });

  it('replays of several rooms on one socket share its buffer: together they stay under the bound', async () => {
    const feed = { at: 10 };
    const h = hub({ feedPosition: () => feed.at });
    // One buffer for the socket, whichever room a frame is for; it empties as the socket drains.
    let buffered = 0;
    let most = 0;
    const got = new Map<string, number[]>();
    const ws = {
      subscribe: () => true,
      unsubscribe: () => true,
      cork: (f: () => void) => f(),
      send: (raw: string) => {
        const f = JSON.parse(raw) as { room_id: string; seq: number };
        got.set(f.room_id, [...(got.get(f.room_id) ?? []), f.seq]);
        buffered += Buffer.byteLength(raw);
        most = Math.max(most, buffered);
      },
      getBufferedAmount: () => buffered,
      getUserData: () => ({ userId: 'u1', closed: false, closing: false, subs: new Map() }),
    } as unknown as Socket;
    const rooms = Array.from({ length: 8 }, (_, i) => `r${i + 1}`);
    const long = (roomId: string, seq: number) => ({ type: 'message' as const, room_id: roomId, message: { ...message(seq), content: 'x'.repeat(3900) }, seq });
    const expected = new Map<string, number[]>();
    for (const roomId of rooms) {
      h.hold(roomId);
      h.add(ws, roomId);
    }
    // Forty events of each room, interleaved in the log as rooms' events are.
    for (let i = 0; i < 40; i++) {
      rooms.forEach((roomId, k) => {
        const seq = 11 + i * rooms.length + k;
        h.deliver(roomId, seq, [long(roomId, seq)]);
        expected.set(roomId, [...(expected.get(roomId) ?? []), seq]);
        feed.at = seq;
      });
    }
    // One drain wakes every replay waiting on the socket.
    let waiting: (() => void)[] = [];
    const pump = setInterval(() => {
      buffered = 0;
      for (const wake of waiting.splice(0)) wake();
    }, 1);
    const drained = () => new Promise<void>((r) => waiting.push(r));
    try {
      const cursors = await Promise.all(rooms.map((roomId) => h.replay(ws, roomId, 10, async () => [], { pageSize: 100, current: () => true, drained })));
      expect(cursors).toEqual(rooms.map((roomId) => expected.get(roomId)!.at(-1)));
    } finally {
      clearInterval(pump);
      waiting = [];
    }
    for (const roomId of rooms) expect(got.get(roomId)).toEqual(expected.get(roomId));
    // Before, each room's replay put its own piece in on the same drain: eight times the bound.
    expect(most).toBeLessThan(BUFFER_LIMITS.ephemeral + 2 * JSON.stringify(long('r1', 1)).length);
  });

  it('a cursor the feed does not reach in time is not waited for any longer', async () => {
    const { h, ws, opts, subscribed } = seam(10);
    const started = Date.now();
    expect(await h.replay(ws, 'r1', 1_000_000, async () => [], opts)).toBe(1_000_000);
    expect(subscribed.has(roomTopic('r1'))).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(CATCH_UP_MS - 50);
  });
});

describe('room hub: a replay that never catches up', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ends the socket as too slow (1013, to resume from its cursor) once it has taken the longest a replay may', async () => {
    vi.useFakeTimers();
    const { h, ws, fed } = seam(10);
    let buffered = 0;
    const ended: number[] = [];
    const data = { userId: 'u1', closed: false, closing: false, subs: new Map() };
    Object.assign(ws, {
      send: (raw: string) => {
        buffered += raw.length;
      },
      getBufferedAmount: () => buffered,
      getUserData: () => data,
      end: (code: number) => ended.push(code),
    });
    const long = (seq: number) => ({ ...frame(seq), message: { ...message(seq), content: 'x'.repeat(3900) } });
    let seq = 10;
    const burst = () => {
      for (let i = 0; i < 20; i++) fed(++seq, long);
    };
    burst();
    // The room fills faster than the socket drains: more arrives with every drain than a piece takes.
    const drained = () =>
      new Promise<void>((r) =>
        setTimeout(() => {
          buffered = 0;
          burst();
          r();
        }, 100),
      );
    let result: number | null | undefined;
    void h
      .replay(ws, 'r1', 10, async () => [], { pageSize: 100, current: () => !data.closing, drained })
      .then((r) => {
        result = r;
      });
    await vi.advanceTimersByTimeAsync(REPLAY_MAX_MS - 1000);
    expect(result).toBeUndefined();
    // Before, it chased the room for as long as the room kept filling, never live, never told.
    await vi.advanceTimersByTimeAsync(2000);
    expect(result).toBeNull();
    expect(ended).toEqual([CloseCode.tryAgainLater]);
  });
});

describe('room hub: a room whose members cannot be looked up at first', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('goes on looking them up while held: admission stops waiting after three tries; profile changes reach the room meanwhile', async () => {
    vi.useFakeTimers();
    let failures = 4;
    const h = hub({
      loadMembers: async () => {
        if (failures-- > 0) throw new Error('room service unavailable');
        return { members: ['u1', 'u2'], seq: 10 };
      },
    });
    h.hold('r1');
    const known = h.membersKnown('r1');
    const ready = h.membersReady('r1');
    await vi.advanceTimersByTimeAsync(1000);
    // Admission asks the room service itself after three failed look-ups.
    expect(await ready).toBeNull();
    // Whoever's profile changes meanwhile may be a member: the change goes to the room (before, it
    // went nowhere, and a resume from the room's latest events then missed it).
    expect(h.roomsOf('u1')).toEqual(['r1']);
    expect(h.roomsOf('u3')).toEqual(['r1']);
    // Before, the hub gave up here for as long as the room was held.
    await vi.advanceTimersByTimeAsync(10_000);
    expect([...((await known) ?? [])]).toEqual(['u1', 'u2']);
    expect(h.roomsOf('u1')).toEqual(['r1']);
    expect(h.roomsOf('u3')).toEqual([]);
  });

  it('lets go of whoever waits for the members when the room is let go first', async () => {
    vi.useFakeTimers();
    const h = hub({
      loadMembers: async () => {
        throw new Error('room service unavailable');
      },
    });
    h.hold('r1');
    const known = h.membersKnown('r1');
    h.release('r1');
    expect(await known).toBeNull();
  });
});
