import { AppError, ClientFrame, CloseCode, FRAME_MAX_BYTES, MessageContent, RoomIdParam, UserIdParam, WsQuery, isAppError, parseOrThrow, validationError, type ServerFrame } from '@chat/contracts';
import type { GatewayContext } from './context.ts';
import { errorReply, send } from './http.ts';
import { roomTopic, type LiveHub } from './live-hub.ts';
import { admitUser } from './routes/rooms.ts';
import type { TemplatedApp, WebSocket } from './uws.ts';

export interface SocketData {
  roomId: string;
  userId: string;
  cursor: number;
  /** Set on close: uWS throws on any use of a closed socket, and replies can arrive after it. */
  closed: boolean;
}

export interface SocketMetrics {
  opened(): void;
  closed(): void;
  frame(type: string): void;
}

const TOKEN_PROTOCOL_PREFIX = 'token.';

/** A token in `Sec-WebSocket-Protocol` (browsers cannot set headers), and the protocol to echo. */
export function protocolToken(header: string): { token: string | undefined; echo: string } {
  const offered = header.split(',').map((p) => p.trim()).filter(Boolean);
  const token = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))?.slice(TOKEN_PROTOCOL_PREFIX.length);
  const echo = offered.find((p) => !p.startsWith(TOKEN_PROTOCOL_PREFIX)) ?? '';
  return { token, echo };
}

/**
 * `WS /ws/{room}/{user}`: the socket is admitted only after the room service confirms membership
 * (or, in open mode, joins the user), so a join followed at once by a connect is never refused.
 */
export function registerSockets(app: TemplatedApp, ctx: GatewayContext, hub: LiveHub, sockets: Set<WebSocket<SocketData>>, metrics: SocketMetrics): void {
  const sendFrame = (ws: WebSocket<SocketData>, frame: ServerFrame) => {
    if (!ws.getUserData().closed) ws.send(JSON.stringify(frame));
  };
  const sendError = (ws: WebSocket<SocketData>, err: unknown) => {
    const e = isAppError(err) ? err : new AppError('internal', 'internal error');
    if (!isAppError(err)) ctx.log.error({ err }, 'socket frame failed');
    sendFrame(ws, { type: 'error', code: e.code, message: e.message });
  };

  app.ws<SocketData>('/ws/:room/:user', {
    // uWS drops the connection without a close frame past this; frames between FRAME_MAX_BYTES
    // and it get a proper 1009 below, so a client learns why it was closed.
    maxPayloadLength: 4 * FRAME_MAX_BYTES,
    maxBackpressure: 1024 * 1024,
    closeOnBackpressureLimit: 1,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    compression: 0,

    upgrade: (res, req, context) => {
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
      const correlationId = crypto.randomUUID();

      void (async () => {
        let retained: string | null = null;
        try {
          const roomId = parseOrThrow(RoomIdParam, decodeURIComponent(rawRoom), 'room id');
          const claimed = parseOrThrow(UserIdParam, decodeURIComponent(rawUser), 'user id');
          const q = parseOrThrow(WsQuery, Object.fromEntries(query), 'query');
          const { token, echo } = protocolToken(protocolHeader);
          const userId = ctx.actor(q.token ?? token, claimed);
          await admitUser(ctx, userId, q, correlationId);
          if (ctx.mode === 'open') {
            await ctx.call('joinRoom', { room_id: roomId, user_id: userId }, correlationId);
          } else {
            const { member } = await ctx.call('membership', { room_id: roomId, user_id: userId }, correlationId);
            if (!member) throw new AppError('not_member', `join room ${roomId} before connecting`);
          }
          // Subscribed before the socket opens, so nothing posted from here on is missed.
          hub.retain(roomId);
          retained = roomId;
          await ctx.nc.flush();
          const room = await ctx.call('getRoom', { room_id: roomId }, correlationId).catch(() => null);
          if (state.aborted) {
            hub.release(roomId);
            return;
          }
          res.cork(() => {
            res.upgrade<SocketData>({ roomId, userId, cursor: room?.last_seq ?? 0, closed: false }, key, echo, extensions, context);
          });
        } catch (err) {
          if (retained) hub.release(retained);
          if (!state.aborted) send(res, err instanceof URIError ? errorReply(new AppError('bad_request', 'malformed path'), ctx.log, {}) : errorReply(err, ctx.log, { correlationId }));
        }
      })();
    },

    open: (ws) => {
      const { roomId, userId, cursor } = ws.getUserData();
      sockets.add(ws);
      metrics.opened();
      ws.subscribe(roomTopic(roomId));
      sendFrame(ws, { type: 'ready', room_id: roomId, user_id: userId, cursor });
    },

    message: (ws, data, isBinary) => {
      if (data.byteLength > FRAME_MAX_BYTES) {
        ws.end(CloseCode.tooBig, `frames are at most ${FRAME_MAX_BYTES} bytes`);
        return;
      }
      const text = isBinary ? null : Buffer.from(data).toString('utf8');
      void handleFrame(ws, text).catch((err: unknown) => sendError(ws, err));
    },

    close: (ws) => {
      ws.getUserData().closed = true;
      sockets.delete(ws);
      metrics.closed();
      hub.release(ws.getUserData().roomId);
    },
  });

  async function handleFrame(ws: WebSocket<SocketData>, text: string | null): Promise<void> {
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
    const { roomId, userId } = ws.getUserData();
    switch (frame.type) {
      case 'ping':
        sendFrame(ws, { type: 'pong' });
        return;
      case 'message': {
        const content = parseOrThrow(MessageContent, frame.content, 'content');
        // The message itself comes back to every socket in the room, this one included.
        await ctx.call('postMessage', { room_id: roomId, user_id: userId, content, client_msg_id: frame.client_msg_id });
        return;
      }
      case 'typing':
      case 'resume':
        throw new AppError('bad_request', `"${frame.type}" frames are not supported by this gateway yet`);
      default: {
        const _exhaustive: never = frame;
      }
    }
  }
}

/** Closes every socket with 1001 so clients reconnect elsewhere. */
export function closeAll(sockets: Set<WebSocket<SocketData>>): void {
  for (const ws of [...sockets]) {
    try {
      ws.end(CloseCode.goingAway, 'server shutting down');
    } catch {
      // already closed
    }
  }
}
