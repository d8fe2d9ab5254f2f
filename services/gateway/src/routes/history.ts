import { ChangesQuery, HistoryQuery, MessageView, PresenceResponse, ReplayFrame } from '@chat/contracts';
import { z } from 'zod';
import type { GatewayContext } from '../context.ts';
import { defineRoute, type RouteSpec } from '../edge/spec.ts';
import { POLL_GRACE_MS, type PresenceTracker } from '../presence.ts';
import type { RoomHub } from '../room-hub.ts';
import { admitReader } from '../edge/admission.ts';
import { pageHeaders, pageOf } from './paging.ts';
import { RoomPath } from './rooms.ts';

export function historyRoutes(ctx: GatewayContext, hub: RoomHub, presence: PresenceTracker): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/rooms/:id/messages',
      summary:
        'A page of history: a bare array, oldest first (the newest page, or before/after a seq; with after and wait, a long-poll). X-Next-Before / X-Next-After and Link name the next page when there is one',
      tags: ['messages'],
      auth: 'session',
      params: RoomPath,
      query: HistoryQuery,
      responses: {
        200: { description: 'messages, oldest first', schema: z.array(MessageView), headers: { ...pageHeaders('before'), ...pageHeaders('after') } },
      },
      /**
       * With `after` and `wait`, a long-poll for clients that cannot hold a WebSocket: it answers at
       * once when newer messages exist, else when the next one arrives, else empty after `wait` s.
       */
      handler: async ({ params, query, actor, req }) => {
        const roomId = params.id;
        const { before, after, limit, wait } = query;
        // Read your writes: the page reflects every event of the room this gateway has seen.
        // One more than the page: whether it is there says if another page exists.
        const page = async () =>
          ctx.call('messages', { room_id: roomId, before, after, limit: limit + 1, min_position: await ctx.live.head(roomId) }, req.correlationId);
        // A private room's history is for its members: asked beside the read, so it costs no time.
        const admitted = admitReader(ctx, actor, roomId, req.correlationId).then(() => {
          // A signed-in reader long-polling is online, as with a socket, once admitted, whatever
          // the read model is doing (see `PresenceTracker.poll`).
          if (actor && wait && after !== undefined) presence.poll(actor, wait * 1000 + POLL_GRACE_MS);
        });
        let [messages] = await Promise.all([page(), admitted]);
        if (messages.length === 0 && wait && after !== undefined) {
          messages = await waitedFor(hub, roomId, page, after, wait * 1000, (past, ms) => hub.waitForMessage(roomId, past, ms, req.signal));
        }
        const forward = after !== undefined;
        const { items, headers } = pageOf(messages, {
          limit,
          direction: forward ? 'after' : 'before',
          extra: forward ? 'last' : 'first',
          path: `/rooms/${roomId}/messages`,
          cursorOf: (m) => m.seq,
        });
        return { status: 200, body: items, headers };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/rooms/:id/changes',
      summary:
        'Every change to a room after a cursor, oldest first, as the frames a socket resuming from it gets: message, message_updated (an edit or deletion of an older message, at its own seq), profile_updated (a member’s new name or avatar). With wait, a long-poll for the next change. The cursor for the next call is the last frame’s seq',
      tags: ['messages'],
      auth: 'session',
      params: RoomPath,
      query: ChangesQuery,
      responses: { 200: { description: 'frames, oldest first', schema: z.array(ReplayFrame) } },
      handler: async ({ params, query, actor, req }) => {
        const roomId = params.id;
        const { since, limit, wait } = query;
        const page = async () => ctx.call('changes', { room_id: roomId, since, limit, min_position: await ctx.live.head(roomId) }, req.correlationId);
        const admitted = admitReader(ctx, actor, roomId, req.correlationId).then(() => {
          if (actor && wait) presence.poll(actor, wait * 1000 + POLL_GRACE_MS);
        });
        let [frames] = await Promise.all([page(), admitted]);
        if (frames.length === 0 && wait)
          frames = await waitedFor(hub, roomId, page, since, wait * 1000, (past, ms) => hub.waitForChange(roomId, past, ms, req.signal));
        return { status: 200, body: frames };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/rooms/:id/presence',
      summary: 'Who is online in a room',
      tags: ['rooms'],
      auth: 'session',
      params: RoomPath,
      responses: { 200: { description: 'user ids online', schema: PresenceResponse } },
      handler: async ({ params, actor, req }) => {
        // Online members: those of a room held here are known; others are asked of the room service.
        const [members] = await Promise.all([
          hub.members(params.id) ?? ctx.call('roomMembers', { room_id: params.id }, req.correlationId).then((r) => r.members),
          admitReader(ctx, actor, params.id, req.correlationId),
        ]);
        return { status: 200, body: { room_id: params.id, online: presence.onlineAmong(members) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/ping',
      summary: 'A no-op over the whole request path (gateway → NATS → a service and back)',
      tags: ['ops'],
      auth: 'session',
      responses: { 200: { description: 'pong', schema: z.object({ pong: z.literal(true) }) } },
      handler: async ({ req }) => {
        await ctx.call('ping', {}, req.correlationId);
        return { status: 200, body: { pong: true } };
      },
    }),
  ] as RouteSpec[];
}

/**
 * A long-poll that found nothing: holds the room (so its live feed reaches the hub), looks once
 * more (what landed in between is not waited for), then waits up to `waitMs` for an arrival after
 * the cursor and looks again. An arrival the page does not show (an event the read models will
 * never hold: one sent to the dead letters) is waited past, not answered with an empty page at
 * once, which a client polling again would meet again and again.
 */
async function waitedFor<T>(
  hub: RoomHub,
  roomId: string,
  page: () => Promise<T[]>,
  cursor: number,
  waitMs: number,
  arrival: (after: number, timeoutMs: number) => Promise<boolean>,
): Promise<T[]> {
  hub.hold(roomId);
  try {
    const deadline = Date.now() + waitMs;
    let after = cursor;
    for (;;) {
      // Every event of the room up to here is in the next page, or never will be (a page reads at
      // the room's head): what is waited for next comes after it.
      const upTo = hub.cursor(roomId);
      const again = await page();
      if (again.length > 0) return again;
      after = Math.max(after, upTo);
      const left = deadline - Date.now();
      if (left <= 0 || !(await arrival(after, left))) return again;
    }
  } finally {
    hub.release(roomId);
  }
}
