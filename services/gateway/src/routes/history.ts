import { HistoryQuery, RoomIdParam, parseOrThrow, type MessageView } from '@chat/contracts';
import type { GatewayContext } from '../context.ts';
import type { Handler } from '../http.ts';
import type { PresenceTracker } from '../presence.ts';
import type { RoomHub } from '../room-hub.ts';

export function historyRoutes(ctx: GatewayContext, hub: RoomHub, presence: PresenceTracker): Record<string, Handler> {
  return {
    /**
     * History as the seed returns it: a bare array, oldest first; pages by `before` / `after` seq.
     * With `after` and `wait`, a long-poll for clients that cannot hold a WebSocket: it answers at
     * once when newer messages exist, else when the next one arrives, else empty after `wait` s.
     */
    history: async (req) => {
      ctx.requireSession(req);
      const roomId = parseOrThrow(RoomIdParam, req.params[0], 'room id');
      const { before, after, limit, wait } = parseOrThrow(HistoryQuery, Object.fromEntries(req.query), 'query');
      // Read your writes: the page reflects every event of the room this gateway has seen.
      const page = () => ctx.call('messages', { room_id: roomId, before, after, limit, min_position: ctx.live.head(roomId) }, req.correlationId);
      let messages: MessageView[] = await page();
      if (messages.length === 0 && wait && after !== undefined) {
        hub.hold(roomId);
        try {
          // Subscribed now: look once more, so a message that landed in between is not waited for.
          messages = await page();
          if (messages.length === 0 && (await hub.waitForMessage(roomId, after, wait * 1000, req.signal))) messages = await page();
        } finally {
          hub.release(roomId);
        }
      }
      return { status: 200, body: messages };
    },

    /**
     * A no-op over the whole request path (gateway → NATS → a service and back): what any
     * request costs before it does work. Needs a session like every read.
     */
    ping: async (req) => {
      ctx.requireSession(req);
      await ctx.call('ping', {}, req.correlationId);
      return { status: 200, body: { pong: true } };
    },

    presence: async (req) => {
      ctx.requireSession(req);
      const roomId = parseOrThrow(RoomIdParam, req.params[0], 'room id');
      const online = presence.online(roomId) ?? (await presence.read(roomId));
      return { status: 200, body: { room_id: roomId, online } };
    },
  };
}
