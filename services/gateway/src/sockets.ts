import { nuid } from '@chat/bus';
import {
  AppError,
  ClientFrame,
  CloseCode,
  FRAME_MAX_BYTES,
  MessageContentInput,
  RoomIdParam,
  UserIdParam,
  WsQuery,
  isAppError,
  parseOrThrow,
  validationError,
  type ServerFrame,
} from '@chat/contracts';
import type { GatewayContext } from './context.ts';
import { errorReply, framingProblem, refuseFraming, requestId, send } from './edge/http.ts';
import type { PresenceTracker } from './presence.ts';
import { BUFFER_LIMITS, roomTopic, type RoomHub } from './room-hub.ts';
import type { Anchor, TemplatedApp, WebSocket } from './uws.ts';

export interface SocketData {
  roomId: string;
  userId: string;
  connectionId: string;
  /** Where to start: replay history after this seq before going live (undefined: live only). */
  since: number | undefined;
  /** Set on close: uWS throws on any use of a closed socket, and replies can arrive after it. */
  closed: boolean;
  /** Being closed for falling behind. */
  closing: boolean;
  /** Bumped by each replay, so a newer `resume` ends an older one. */
  replayGen: number;
  lastTypingAt: number;
  /** Has had its presence snapshot: diffs before it are already part of it. */
  presenceReady: boolean;
  presenceDirty: boolean;
  onDrain: (() => void) | null;
}

export interface SocketMetrics {
  opened(): void;
  closed(): void;
  frame(type: string): void;
}

export interface SocketLimits {
  maxSocketsPerUser: number;
  typingIntervalMs: number;
}

const TOKEN_PROTOCOL_PREFIX = 'token.';
/** The subprotocol a client offers beside its token; echoed, so strict clients accept the upgrade. */
export const CHAT_PROTOCOL = 'chat.v1';
const REPLAY_PAGE = 100;

/**
 * A token in `Sec-WebSocket-Protocol` (browsers cannot set headers), and the protocol to echo:
 * `chat.v1` when offered, never the token itself. A token offered without `chat.v1` is refused,
 * since a strict client would fail the upgrade that answers no protocol.
 */
export function protocolToken(header: string): { token: string | undefined; echo: string } {
  const offered = header
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const token = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))?.slice(TOKEN_PROTOCOL_PREFIX.length);
  const echo = offered.includes(CHAT_PROTOCOL) ? CHAT_PROTOCOL : '';
  if (token !== undefined && !echo) throw new AppError('bad_request', `offer the ${CHAT_PROTOCOL} subprotocol beside the token`);
  return { token, echo };
}

type Socket = WebSocket<SocketData>;

/**
 * `WS /ws/{room}/{user}`: admitted only after the room service confirms membership (or, in open
 * mode, joins the user), so a join followed at once by a connect is never refused. With
 * `since=<seq>` (or a `resume` frame) the socket first gets every message after that seq, in
 * order, then live ones, with no gap and no duplicate.
 */
export function registerSockets(
  app: TemplatedApp,
  ctx: GatewayContext,
  hub: RoomHub,
  presence: PresenceTracker,
  all: Set<Socket>,
  metrics: SocketMetrics,
  limits: SocketLimits,
  anchor: Anchor,
): void {
  const perUser = new Map<string, number>();
  const reserve = (userId: string) => {
    const count = perUser.get(userId) ?? 0;
    if (count >= limits.maxSocketsPerUser) throw new AppError('rate_limited', `at most ${limits.maxSocketsPerUser} sockets per user`, { retry_after: 5 });
    perUser.set(userId, count + 1);
  };
  const unreserve = (userId: string) => {
    const count = (perUser.get(userId) ?? 1) - 1;
    if (count > 0) perUser.set(userId, count);
    else perUser.delete(userId);
  };

  const sendFrame = (ws: Socket, frame: ServerFrame) => {
    if (!ws.getUserData().closed) ws.send(JSON.stringify(frame));
  };
  const sendError = (ws: Socket, err: unknown) => {
    const e = isAppError(err) ? err : new AppError('internal', 'internal error');
    if (!isAppError(err)) ctx.log.error({ err }, 'socket frame failed');
    sendFrame(ws, { type: 'error', code: e.code, message: e.message });
  };

  app.ws<SocketData>('/ws/:room/:user', {
    // uWS drops the connection without a close frame past this; frames between FRAME_MAX_BYTES
    // and it get a proper 1009 below, so a client learns why it was closed.
    maxPayloadLength: 4 * FRAME_MAX_BYTES,
    maxBackpressure: BUFFER_LIMITS.hard,
    closeOnBackpressureLimit: 1,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    compression: 0,

    upgrade: (res, req, context) => {
      const bad = framingProblem(req);
      if (bad) {
        refuseFraming(res, bad);
        return;
      }
      const state = { aborted: false };
      res.onAborted(() => {
        state.aborted = true;
      });
      const rawRoom = req.getParameter(0) ?? '';
      const rawUser = req.getParameter(1) ?? '';
      const query = new URLSearchParams(req.getQuery() ?? '');
      const key = req.getHeader('sec-websocket-key');
      const protocolHeader = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      const origin = req.getHeader('origin');
      const correlationId = requestId(req.getHeader('x-request-id'));

      void (async () => {
        let held: string | null = null;
        let reserved: string | null = null;
        try {
          const roomId = parseOrThrow(RoomIdParam, decodeURIComponent(rawRoom), 'room id');
          const claimed = parseOrThrow(UserIdParam, decodeURIComponent(rawUser), 'user id');
          const q = parseOrThrow(WsQuery, Object.fromEntries(query), 'query');
          const { token, echo } = protocolToken(protocolHeader);
          const presented = q.token ?? token;
          ctx.origins.checkUpgrade(origin, ctx.auth.valid(presented));
          const userId = ctx.auth.actor('actor', { token: presented, claimed, pathUser: undefined })!;
          // Counted now, before anything asynchronous: sockets opened all at once are capped too.
          reserve(userId);
          reserved = userId;
          await ctx.socketSetup.run(async () => {
            if (!state.aborted) await ctx.admission.socket(userId, roomId, q, correlationId);
          });
          if (state.aborted) throw new Error('aborted');
          // Held before the socket opens, so every event of the room from here on reaches it.
          hub.hold(roomId);
          held = roomId;
          const data: SocketData = {
            roomId,
            userId,
            connectionId: nuid.next(),
            since: q.since,
            closed: false,
            closing: false,
            replayGen: 0,
            lastTypingAt: 0,
            presenceReady: false,
            presenceDirty: false,
            onDrain: null,
          };
          anchor.upgrade<SocketData>(res, data, key, echo, extensions, context);
        } catch (err) {
          if (held) hub.release(held);
          if (reserved) unreserve(reserved);
          if (state.aborted) return;
          send(
            res,
            err instanceof URIError ? errorReply(new AppError('bad_request', 'malformed path'), ctx.log, {}) : errorReply(err, ctx.log, { correlationId }),
            correlationId,
          );
        }
      })();
    },

    open: (ws) => {
      const data = ws.getUserData();
      all.add(ws);
      metrics.opened();
      hub.add(ws);
      if (data.since !== undefined) {
        void replay(ws, data.since);
      } else {
        // Both in this tick: every event after the cursor reaches the topic after the subscription.
        const cursor = hub.cursor(data.roomId);
        ws.subscribe(roomTopic(data.roomId));
        sendFrame(ws, { type: 'ready', room_id: data.roomId, user_id: data.userId, cursor });
      }
      void presence
        .connect(data.roomId, data.userId, data.connectionId, (snapshot) => {
          data.presenceReady = true;
          sendFrame(ws, { type: 'presence', online: snapshot.online, seq: snapshot.seq });
        })
        .catch((err: unknown) => ctx.log.warn({ err }, 'presence unavailable'));
    },

    message: (ws, message, isBinary) => {
      if (message.byteLength > FRAME_MAX_BYTES) {
        ws.end(CloseCode.tooBig, `frames are at most ${FRAME_MAX_BYTES} bytes`);
        return;
      }
      const data = ws.getUserData();
      const verdict = ctx.allowances.of(data.userId, Date.now()).frame(Date.now());
      if (verdict === 'flood') {
        ws.end(CloseCode.policy, 'too many frames');
        return;
      }
      if (verdict === 'limited') {
        sendError(ws, new AppError('rate_limited', 'too many frames; slow down'));
        return;
      }
      const text = isBinary ? null : Buffer.from(message).toString('utf8');
      void handleFrame(ws, text).catch((err: unknown) => sendError(ws, err));
    },

    drain: (ws) => {
      const data = ws.getUserData();
      data.onDrain?.();
      if (data.presenceDirty && ws.getBufferedAmount() < BUFFER_LIMITS.ephemeral) {
        // Presence diffs skipped while behind are merged into one fresh snapshot.
        data.presenceDirty = false;
        const online = presence.online(data.roomId);
        if (online) sendFrame(ws, { type: 'presence', online, seq: presence.seq(data.roomId) });
      }
    },

    close: (ws) => {
      const data = ws.getUserData();
      data.closed = true;
      data.onDrain?.();
      all.delete(ws);
      unreserve(data.userId);
      metrics.closed();
      hub.remove(ws);
      hub.release(data.roomId);
      void presence.disconnect(data.roomId, data.userId, data.connectionId);
      if (hub.sockets(data.roomId).size === 0) presence.forget(data.roomId);
    },
  });

  /**
   * Every change after `since`, in order, at the pace the socket takes it, then live (see
   * `RoomHub.replay`). A resume that cannot be served now (the read models are behind or away)
   * closes with 1013: the client resumes from its cursor again a moment later, nothing lost.
   */
  async function replay(ws: Socket, since: number): Promise<void> {
    const data = ws.getUserData();
    const gen = ++data.replayGen;
    let cursor: number | null;
    try {
      cursor = await hub.replay(
        ws,
        since,
        (after, minPosition) =>
          ctx.socketSetup.run(() => ctx.call('changes', { room_id: data.roomId, since, after, limit: REPLAY_PAGE, min_position: minPosition })),
        { pageSize: REPLAY_PAGE, current: () => !data.closed && data.replayGen === gen, drained: () => drained(ws) },
      );
    } catch (err) {
      if (data.closed || data.replayGen !== gen) return;
      sendError(ws, err);
      ws.end(CloseCode.tryAgainLater, 'history unavailable: reconnect with since=<cursor>');
      return;
    }
    if (cursor === null) return;
    sendFrame(ws, { type: 'ready', room_id: data.roomId, user_id: data.userId, cursor });
  }

  function drained(ws: Socket): Promise<void> {
    const data = ws.getUserData();
    return new Promise((resolve) => {
      data.onDrain = () => {
        data.onDrain = null;
        resolve();
      };
    });
  }

  async function handleFrame(ws: Socket, text: string | null): Promise<void> {
    if (text === null) throw new AppError('bad_request', 'frames are JSON text');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new AppError('bad_request', 'frame is not valid JSON');
    }
    const parsed = ClientFrame.safeParse(raw);
    if (!parsed.success) {
      const type = (raw as { type?: unknown })?.type;
      if (typeof type === 'string' && !['message', 'typing', 'resume', 'ping'].includes(type)) {
        throw new AppError('bad_request', `unknown frame type "${type.slice(0, 32)}"`);
      }
      throw validationError(parsed.error, 'frame');
    }
    const frame = parsed.data;
    metrics.frame(frame.type);
    const data = ws.getUserData();
    switch (frame.type) {
      case 'ping':
        sendFrame(ws, { type: 'pong' });
        return;
      case 'message': {
        const content = parseOrThrow(MessageContentInput, frame.content, 'content');
        ctx.checkPost(data.userId);
        // The message comes back to every socket in the room, this one included.
        const posted = await ctx.call('postMessage', { room_id: data.roomId, user_id: data.userId, content, client_msg_id: frame.client_msg_id });
        ctx.live.noteWrite(data.roomId, posted.seq);
        return;
      }
      case 'typing': {
        const now = Date.now();
        if (now - data.lastTypingAt < limits.typingIntervalMs) return;
        data.lastTypingAt = now;
        hub.publishTyping(data.roomId, data.userId);
        return;
      }
      case 'resume':
        await replay(ws, frame.since);
        return;
      default: {
        const _exhaustive: never = frame;
      }
    }
  }
}

/** Closes every socket with 1001 so clients reconnect elsewhere and resume. */
export function closeAll(sockets: Set<Socket>): void {
  for (const ws of [...sockets]) {
    try {
      ws.end(CloseCode.goingAway, 'server shutting down');
    } catch {
      // already closed
    }
  }
}
