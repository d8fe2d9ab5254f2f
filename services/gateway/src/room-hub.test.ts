import { subjects, type LiveFrame, type MessageView } from '@chat/contracts';
import type { NatsConnection } from '@chat/bus';
import type { Logger } from '@chat/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { RoomHub } from './room-hub.ts';
import type { TemplatedApp } from './uws.ts';
import { aMessage } from '@chat/contracts/fixtures';

// The hub's long-poll wait, without servers: a room held at feed position 10.

const message = (seq: number): MessageView => aMessage(seq);
const frame = (seq: number): LiveFrame => ({ type: 'message', room_id: 'r1', message: message(seq), seq });

const hubs: RoomHub[] = [];
function hub(): RoomHub {
  const app = { publish: () => true } as unknown as TemplatedApp;
  const nc = { subscribe: () => ({ unsubscribe: () => undefined }) } as unknown as NatsConnection;
  const log = { warn: () => undefined, info: () => undefined, debug: () => undefined, error: () => undefined } as unknown as Logger;
  const h = new RoomHub(app, nc, subjects('t'), log, 'g1', {
    feedPosition: () => 10,
    loadMembers: async () => ({ members: ['u1'], seq: 10 }),
    loadRecent: async () => ({ from: 10, frames: [] }),
    isOnline: () => false,
    evict: () => undefined,
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
