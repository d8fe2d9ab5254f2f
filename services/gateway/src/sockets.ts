import { nuid } from '@chat/bus';
import {
  AppError,
  ClientFrame,
  CloseCode,
  FRAME_MAX_BYTES,
  isAppError,
  MessageContentInput,
  MUX_CLIENT_FRAME_TYPES,
  MuxClientFrame,
  parseOrThrow,
  RoomIdParam,
  type ServerFrame,
  UserIdParam,
  validationError,
  WsQuery,
} from '@chat/contracts';
import { ConcurrencyLimit } from '@chat/runtime';
import type { z } from 'zod';
import type { GatewayContext } from './context.ts';
import type { Hints } from './edge/admission.ts';
import type { Inbox } from './inbox.ts';
import { Subs } from './subs.ts';
import { errorReply, framingProblem, refuseFraming, requestId, send } from './edge/http.ts';
import type { PresenceTracker } from './presence.ts';
import { BUFFER_LIMITS, type RoomHub, roomTopic } from './room-hub.ts';
import type { Anchor, HttpRequest, HttpResponse, TemplatedApp, us_socket_context_t, WebSocket } from './uws.ts';

/** One room a socket follows. */
export interface Sub {
  /** Bumped by each replay, so a newer one ends an older one. */
  gen: number;
  /** Has had its presence snapshot: diffs before it are already part of it. */
  presenceReady: boolean;
  /** Missed presence diffs while behind: a fresh snapshot follows once it drains. */
  presenceDirty: boolean;
}

/** What a socket carries: who it is, and the rooms it follows. Kept small: a gateway holds many. */
export interface SocketData {
  userId: string;
  /** The room of a one-room socket (the seed's `/ws/{room}/{user}`); null on the multiplexed `/ws`. */
  legacyRoom: string | null;
  /** Where a one-room socket starts (`?since=`): its replay comes before it goes live. */
  since: number | undefined;
  subs: Subs<Sub>;
  /** Set on close: uWS throws on any use of a closed socket, and replies can arrive after it. */
  closed: boolean;
  /** Being closed for falling behind. */
  closing: boolean;
  lastTypingAt: number;
  /**
   * Replays waiting for the socket's buffer to drain: one per room replaying, all woken by a drain
   * (or the close). Null while none waits: an empty array on every idle socket costs ~30 bytes.
   */
  drainWaiters: (() => void)[] | null;
}

export type Socket = WebSocket<SocketData>;

/** A socket's admission to a room, under way. */
interface Admission {
  /** The multiplexed socket asking. */
  ws: Socket;
  /** The socket unsubscribed meanwhile. */
  cancelled: boolean;
  /** Lets go of the room's place under the socket's cap, once it holds one. */
  unreserve?: () => void;
}

export interface SocketMetrics {
  opened(): void;
  closed(): void;
  frame(type: string): void;
  refused?: ((reason: string) => void) | undefined;
}

export interface SocketLimits {
  maxSocketsPerUser: number;
  typingIntervalMs: number;
  /** Rooms one multiplexed socket may follow at once. */
  maxSubscriptions: number;
}

const TOKEN_PROTOCOL_PREFIX = 'token.';
/** The subprotocol a client offers beside its token; echoed, so strict clients accept the upgrade. */
export const CHAT_PROTOCOL = 'chat.v1';
const REPLAY_PAGE = 100;
/** Subscriptions of one user set up (admitted, replayed) at once; the rest of theirs wait. */
const SETUP_PER_USER = 8;

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

/** The multiplexed endpoint's query: a token (or, in open mode, the user it acts as) and profile hints. */
const MuxQuery = WsQuery.omit({ since: true }).extend({ user_id: UserIdParam.optional() });

/** What an upgrade request carries, copied out of uWS at once. */
interface Upgrade {
  res: HttpResponse;
  context: us_socket_context_t;
  key: string;
  protocolHeader: string;
  extensions: string;
  origin: string;
  correlationId: string;
  aborted: () => boolean;
}

function takeUpgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): Upgrade | null {
  const bad = framingProblem(req);
  if (bad) {
    refuseFraming(res, bad);
    return null;
  }
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  return {
    res,
    context,
    key: req.getHeader('sec-websocket-key'),
    protocolHeader: req.getHeader('sec-websocket-protocol'),
    extensions: req.getHeader('sec-websocket-extensions'),
    origin: req.getHeader('origin'),
    correlationId: requestId(req.getHeader('x-request-id')),
    aborted: () => aborted,
  };
}

/**
 * Live sockets, two endpoints over one set of rooms:
 * - `WS /ws` (multiplexed): one socket per device, authenticated once; `subscribe` / `unsubscribe`
 *   frames follow rooms, each admitted on its own (a refusal is an `error` frame for that room, the
 *   socket stays open), each with its own cursor; every frame names its room.
 * - `WS /ws/{room}/{user}` (the seed's): one room, admitted before the upgrade (a refusal is the
 *   HTTP error body), `?since=` or a `resume` frame to replay.
 * Admission asks the room service, the source of truth; a member already known in memory is
 * admitted at once, and a "not a member" from memory is always checked there.
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
  inbox: Inbox<Socket>,
): { evict(ws: Socket, roomId: string): void } {
  const perUser = new Map<string, number>();
  /** Counted before anything asynchronous: sockets opened all at once are capped too. */
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
  const sendError = (ws: Socket, err: unknown, roomId?: string) => {
    const e = isAppError(err) ? err : new AppError('internal', 'internal error');
    if (!isAppError(err)) ctx.log.error({ err }, 'socket frame failed');
    sendFrame(ws, roomId ? { type: 'error', room_id: roomId, code: e.code, message: e.message } : { type: 'error', code: e.code, message: e.message });
  };

  /** Admissions under way, by room: an unsubscribe of a socket whose admission is under way cancels it. */
  const admitting = new Map<string, Set<Admission>>();

  /** Cancels the socket's admission to the room, if one is under way; says whether there was one. */
  function cancelAdmission(ws: Socket, roomId: string): boolean {
    let found = false;
    for (const a of admitting.get(roomId) ?? []) {
      if (a.ws !== ws) continue;
      a.cancelled = true;
      // Answered as unsubscribed: its place goes at once, not when the admission ends.
      a.unreserve?.();
      found = true;
    }
    return found;
  }

  /** Admission: from memory for a member already known here, else from the room service. */
  async function admit(userId: string, roomId: string, hints: Hints, correlationId: string): Promise<void> {
    const members = ctx.auth.mode === 'token' && hints.avatar_url === undefined ? await hub.membersReady(roomId) : null;
    if (members?.has(userId)) return;
    const basis = await ctx.socketSetup.run(() => ctx.admission.socket(userId, roomId, hints, correlationId));
    // A "member" may predate a leave this gateway has already seen (and evicted the user's sockets
    // for), from a room service copy's memory or by the leave racing the admission: no later event
    // would evict this socket.
    if (basis !== undefined && (await hub.membersReady(roomId)) && hub.leftAfter(roomId, userId, basis)) {
      throw new AppError('not_member', `no longer a member of room ${roomId}`);
    }
  }

  /** Rooms each socket is being admitted to (with how many admissions each), a few at a time. */
  const admittingTo = new Map<Socket, Map<string, number>>();

  /**
   * Counts a room the socket is about to be admitted to against its cap, with the rooms it follows
   * and those it is being admitted to besides (each once); returns what lets it go (once it is
   * followed, or not).
   */
  function reserveRoom(ws: Socket, roomId: string): () => void {
    const data = ws.getUserData();
    const rooms = admittingTo.get(ws) ?? new Map<string, number>();
    if (!data.subs.has(roomId) && !rooms.has(roomId)) {
      let count = data.subs.size;
      for (const other of rooms.keys()) if (!data.subs.has(other)) count++;
      if (count >= limits.maxSubscriptions) throw new AppError('rate_limited', `at most ${limits.maxSubscriptions} rooms on one connection`);
    }
    rooms.set(roomId, (rooms.get(roomId) ?? 0) + 1);
    admittingTo.set(ws, rooms);
    let kept = true;
    return () => {
      if (!kept) return;
      kept = false;
      const left = (rooms.get(roomId) ?? 1) - 1;
      if (left > 0) rooms.set(roomId, left);
      else rooms.delete(roomId);
      if (rooms.size === 0 && admittingTo.get(ws) === rooms) admittingTo.delete(ws);
    };
  }

  /** Each user's subscriptions being set up (admitted and replayed), `SETUP_PER_USER` at a time. */
  const settingUp = new Map<string, ConcurrencyLimit>();
  async function asUser(userId: string, task: () => Promise<void>): Promise<void> {
    const limit = settingUp.get(userId) ?? new ConcurrencyLimit(SETUP_PER_USER);
    settingUp.set(userId, limit);
    try {
      await limit.run(task);
    } finally {
      if (limit.active === 0 && limit.waiting === 0 && settingUp.get(userId) === limit) settingUp.delete(userId);
    }
  }

  /**
   * A multiplexed socket follows a room: admitted, then replayed from `since`, then live. A user's
   * subscriptions are set up a few at a time: hundreds asked at once (a device coming back) wait
   * behind their own, not behind every other user's. An unsubscribe meanwhile, while it waits or
   * while it is admitted, cancels it (and was answered then).
   */
  async function subscribe(ws: Socket, roomId: string, since: number | undefined): Promise<void> {
    const data = ws.getUserData();
    const admission: Admission = { ws, cancelled: false };
    const under = admitting.get(roomId) ?? new Set<Admission>();
    admitting.set(roomId, under);
    under.add(admission);
    // Once admitted, an unsubscribe leaves the room as for any other.
    const admitted = () => {
      under.delete(admission);
      if (under.size === 0 && admitting.get(roomId) === under) admitting.delete(roomId);
    };
    try {
      await asUser(data.userId, async () => {
        if (admission.cancelled || data.closed) return;
        // Subscriptions asked together all passed the cap as they came: counted again now.
        const unreserve = reserveRoom(ws, roomId);
        admission.unreserve = unreserve;
        let held = false;
        try {
          // Held for the admission (its members are loaded once for every socket that asks).
          hub.hold(roomId);
          held = true;
          try {
            await admit(data.userId, roomId, {}, nuid.next());
          } catch (err) {
            // Cancelled meanwhile: a refusal now would reach the next subscription to the room.
            if (admission.cancelled) return;
            throw err;
          }
          admitted();
          if (admission.cancelled || data.closed) return;
          // `follow` takes its own hold, and counts among the socket's rooms, before its first
          // await: this hold and the reservation can go.
          const following = follow(ws, roomId, since);
          unreserve();
          hub.release(roomId);
          held = false;
          await following;
        } finally {
          unreserve();
          if (held) hub.release(roomId);
        }
      });
    } finally {
      admitted();
    }
  }

  const newData = (userId: string, legacyRoom: string | null, since: number | undefined): SocketData => ({
    userId,
    legacyRoom,
    since,
    subs: new Subs<Sub>(),
    closed: false,
    closing: false,
    lastTypingAt: 0,
    drainWaiters: null,
  });

  const socketBehaviour = {
    // uWS drops the connection without a close frame past this; frames between FRAME_MAX_BYTES
    // and it get a proper 1009 below, so a client learns why it was closed.
    maxPayloadLength: 4 * FRAME_MAX_BYTES,
    maxBackpressure: BUFFER_LIMITS.hard,
    closeOnBackpressureLimit: 1,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    compression: 0,
  } as const;

  /**
   * Frame-level limits shared by both endpoints: size, rate, flood. Returns the frame's JSON, or
   * null when dealt with. On the multiplexed socket (`subscriptions`), subscribe and unsubscribe
   * frames draw on their own allowance, and a frame refused for its rate names its room, so that
   * the client knows which subscription to ask for again.
   */
  function admitFrame(ws: Socket, message: ArrayBuffer, isBinary: boolean, subscriptions = false): unknown | null {
    if (message.byteLength > FRAME_MAX_BYTES) {
      ws.end(CloseCode.tooBig, `frames are at most ${FRAME_MAX_BYTES} bytes`);
      return null;
    }
    let raw: unknown;
    let readable = !isBinary;
    if (readable) {
      try {
        raw = JSON.parse(Buffer.from(message).toString('utf8'));
      } catch {
        readable = false;
      }
    }
    const { type, room_id } = (readable && typeof raw === 'object' && raw !== null ? raw : {}) as { type?: unknown; room_id?: unknown };
    const data = ws.getUserData();
    const allowance = ctx.allowances.of(data.userId, Date.now());
    // An unsubscribe only frees what the socket holds, and its answer is what the client waits
    // for to tell an ended subscription's frames from a new one's: never refused.
    if (subscriptions && type === 'unsubscribe') return raw;
    const verdict = subscriptions && type === 'subscribe' ? allowance.subscription(Date.now()) : allowance.frame(Date.now());
    if (verdict === 'flood') {
      ws.end(CloseCode.policy, 'too many frames');
      return null;
    }
    if (verdict === 'limited') {
      const roomId = RoomIdParam.safeParse(room_id);
      sendError(ws, new AppError('rate_limited', 'too many frames; slow down'), subscriptions && roomId.success ? roomId.data : undefined);
      return null;
    }
    if (!readable) {
      sendError(ws, new AppError('bad_request', isBinary ? 'frames are JSON text' : 'frame is not valid JSON'));
      return null;
    }
    return raw;
  }

  function parseFrame<S extends z.ZodType>(schema: S, raw: unknown, known: readonly string[]): z.output<S> {
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    const type = (raw as { type?: unknown })?.type;
    if (typeof type === 'string' && !known.includes(type)) throw new AppError('bad_request', `unknown frame type "${type.slice(0, 32)}"`);
    throw validationError(parsed.error, 'frame');
  }

  async function post(data: SocketData, roomId: string, content: string, clientMsgId: string | undefined): Promise<void> {
    const text = parseOrThrow(MessageContentInput, content, 'content');
    ctx.checkPost(data.userId);
    // The message comes back to every socket in the room, this one included.
    const posted = await ctx.call('postMessage', { room_id: roomId, user_id: data.userId, content: text, client_msg_id: clientMsgId });
    ctx.live.noteWrite(roomId, posted.seq);
  }

  function typing(data: SocketData, roomId: string): void {
    const now = Date.now();
    if (now - data.lastTypingAt < limits.typingIntervalMs) return;
    data.lastTypingAt = now;
    hub.publishTyping(roomId, data.userId);
  }

  /**
   * Follows a room on a socket: its presence snapshot, then every change after `since` (if given),
   * then live frames; ends with `ready` (one-room socket) or `subscribed` (multiplexed).
   */
  async function follow(ws: Socket, roomId: string, since: number | undefined): Promise<void> {
    const data = ws.getUserData();
    let sub = data.subs.get(roomId);
    if (!sub) {
      // Held while followed; `leave` lets go.
      hub.hold(roomId);
      sub = { gen: 0, presenceReady: false, presenceDirty: false };
      data.subs.set(roomId, sub);
      hub.add(ws, roomId);
      const created = sub;
      void hub.membersKnown(roomId).then((members) => {
        if (data.closed || data.subs.get(roomId) !== created || !members) return;
        created.presenceReady = true;
        sendFrame(ws, { type: 'presence', room_id: roomId, online: presence.onlineAmong(members), seq: hub.presenceSeq(roomId) });
      });
    }
    const gen = ++sub.gen;
    const current = () => !data.closed && data.subs.get(roomId) === sub && sub.gen === gen;
    let cursor: number | null;
    if (since === undefined) {
      // Both in this tick: every event after the cursor reaches the topic after the subscription.
      cursor = hub.cursor(roomId);
      ws.subscribe(roomTopic(roomId));
    } else {
      try {
        cursor = await hub.replay(
          ws,
          roomId,
          since,
          (after, minPosition) =>
            ctx.socketSetup.run(() => ctx.call('changes', { room_id: roomId, since, after, limit: REPLAY_PAGE, min_position: minPosition })),
          { pageSize: REPLAY_PAGE, current, drained: () => drained(ws) },
        );
      } catch (err) {
        if (!current()) return;
        sendError(ws, err, data.legacyRoom ? undefined : roomId);
        // A resume that cannot be served now (the read models behind or away): the client resumes
        // from its cursor again in a moment, nothing lost.
        if (data.legacyRoom) ws.end(CloseCode.tryAgainLater, 'history unavailable: reconnect with since=<cursor>');
        else leave(ws, roomId);
        return;
      }
    }
    if (cursor === null || !current()) return;
    sendFrame(ws, data.legacyRoom ? { type: 'ready', room_id: roomId, user_id: data.userId, cursor } : { type: 'subscribed', room_id: roomId, cursor });
  }

  /** Stops following a room on a socket. */
  function leave(ws: Socket, roomId: string): boolean {
    const data = ws.getUserData();
    if (!data.subs.delete(roomId)) return false;
    if (!data.closed) ws.unsubscribe(roomTopic(roomId));
    hub.remove(ws, roomId);
    hub.release(roomId);
    return true;
  }

  function drained(ws: Socket): Promise<void> {
    const data = ws.getUserData();
    if (data.closed) return Promise.resolve();
    return new Promise((resolve) => {
      data.drainWaiters ??= [];
      data.drainWaiters.push(resolve);
    });
  }

  const opened = (ws: Socket) => {
    all.add(ws);
    metrics.opened();
    presence.connect(ws.getUserData().userId);
  };

  const wakeDrainWaiters = (data: SocketData) => {
    const waiters = data.drainWaiters;
    data.drainWaiters = null;
    for (const wake of waiters ?? []) wake();
  };

  const onDrain = (ws: Socket) => {
    const data = ws.getUserData();
    wakeDrainWaiters(data);
    if (ws.getBufferedAmount() >= BUFFER_LIMITS.ephemeral) return;
    for (const [roomId, sub] of data.subs) {
      if (!sub.presenceDirty) continue;
      // Presence diffs skipped while behind are merged into one fresh snapshot.
      sub.presenceDirty = false;
      const members = hub.members(roomId);
      if (members) sendFrame(ws, { type: 'presence', room_id: roomId, online: presence.onlineAmong(members), seq: hub.presenceSeq(roomId) });
    }
  };

  const onClose = (ws: Socket) => {
    const data = ws.getUserData();
    data.closed = true;
    wakeDrainWaiters(data);
    all.delete(ws);
    unreserve(data.userId);
    metrics.closed();
    for (const roomId of [...data.subs.keys()]) leave(ws, roomId);
    if (!data.legacyRoom) inbox.detach(data.userId, ws);
    presence.disconnect(data.userId);
  };

  // WS /ws/{room}/{user}: the seed's one-room socket.
  app.ws<SocketData>('/ws/:room/:user', {
    ...socketBehaviour,
    upgrade: (res, req, context) => {
      const up = takeUpgrade(res, req, context);
      if (!up) return;
      const rawRoom = req.getParameter(0) ?? '';
      const rawUser = req.getParameter(1) ?? '';
      const query = new URLSearchParams(req.getQuery() ?? '');
      void (async () => {
        let reserved: string | null = null;
        let held: string | null = null;
        try {
          const roomId = parseOrThrow(RoomIdParam, decodeURIComponent(rawRoom), 'room id');
          const claimed = parseOrThrow(UserIdParam, decodeURIComponent(rawUser), 'user id');
          const q = parseOrThrow(WsQuery, Object.fromEntries(query), 'query');
          const { token, echo } = protocolToken(up.protocolHeader);
          const presented = q.token ?? token;
          ctx.origins.checkUpgrade(up.origin, await ctx.auth.valid(presented));
          const userId = (await ctx.auth.actor('actor', { token: presented, claimed, pathUser: undefined }))!;
          reserve(userId);
          reserved = userId;
          hub.hold(roomId);
          held = roomId;
          await admit(userId, roomId, q, up.correlationId);
          if (up.aborted()) throw new Error('aborted');
          // The hold passes to the socket: released when it stops following the room.
          anchor.upgrade<SocketData>(up.res, newData(userId, roomId, q.since), up.key, echo, up.extensions, up.context);
        } catch (err) {
          if (held) hub.release(held);
          if (reserved) unreserve(reserved);
          if (up.aborted()) return;
          const reply =
            err instanceof URIError
              ? errorReply(new AppError('bad_request', 'malformed path'), ctx.log, {})
              : errorReply(err, ctx.log, { correlationId: up.correlationId });
          send(up.res, reply, up.correlationId);
        }
      })();
    },
    open: (ws) => {
      const data = ws.getUserData();
      opened(ws);
      void follow(ws, data.legacyRoom!, data.since);
      // `follow` took its own hold; the one taken for the upgrade is handed back.
      hub.release(data.legacyRoom!);
    },
    message: (ws, message, isBinary) => {
      const raw = admitFrame(ws, message, isBinary);
      if (raw === null) return;
      void (async () => {
        const frame = parseFrame(ClientFrame, raw, ['message', 'typing', 'resume', 'ping']);
        metrics.frame(frame.type);
        const data = ws.getUserData();
        const roomId = data.legacyRoom!;
        switch (frame.type) {
          case 'ping':
            sendFrame(ws, { type: 'pong' });
            return;
          case 'message':
            return post(data, roomId, frame.content, frame.client_msg_id);
          case 'typing':
            return typing(data, roomId);
          case 'resume':
            return follow(ws, roomId, frame.since);
          default: {
            const _exhaustive: never = frame;
          }
        }
      })().catch((err: unknown) => sendError(ws, err));
    },
    drain: onDrain,
    close: onClose,
  });

  // WS /ws: one socket per device, any number of rooms.
  app.ws<SocketData>('/ws', {
    ...socketBehaviour,
    upgrade: (res, req, context) => {
      const up = takeUpgrade(res, req, context);
      if (!up) return;
      const query = new URLSearchParams(req.getQuery() ?? '');
      void (async () => {
        let reserved: string | null = null;
        try {
          const q = parseOrThrow(MuxQuery, Object.fromEntries(query), 'query');
          const { token, echo } = protocolToken(up.protocolHeader);
          const presented = q.token ?? token;
          ctx.origins.checkUpgrade(up.origin, await ctx.auth.valid(presented));
          const userId = (await ctx.auth.actor('actor', { token: presented, claimed: q.user_id, pathUser: undefined }))!;
          reserve(userId);
          reserved = userId;
          // Open mode registers the user from the hints first (token mode: they may fill an empty avatar).
          if (q.username !== undefined || q.avatar_url !== undefined) {
            const hints: Hints = { username: q.username, avatar_url: q.avatar_url };
            await ctx.socketSetup.run(() => ctx.admission.beforeJoin(userId, hints, up.correlationId));
          }
          if (up.aborted()) throw new Error('aborted');
          anchor.upgrade<SocketData>(up.res, newData(userId, null, undefined), up.key, echo, up.extensions, up.context);
        } catch (err) {
          if (reserved) unreserve(reserved);
          if (up.aborted()) return;
          const reply = errorReply(err, ctx.log, { correlationId: up.correlationId });
          if (reply.status < 500) metrics.refused?.((reply.body as { error: { code: string } }).error.code);
          send(up.res, reply, up.correlationId);
        }
      })();
    },
    open: (ws) => {
      opened(ws);
      inbox.attach(ws.getUserData().userId, ws);
      sendFrame(ws, { type: 'welcome', user_id: ws.getUserData().userId });
    },
    message: (ws, message, isBinary) => {
      const raw = admitFrame(ws, message, isBinary, true);
      if (raw === null) return;
      let roomId: string | undefined;
      void (async () => {
        const frame = parseFrame(MuxClientFrame, raw, MUX_CLIENT_FRAME_TYPES);
        metrics.frame(frame.type);
        const data = ws.getUserData();
        if (frame.type === 'ping') {
          sendFrame(ws, { type: 'pong' });
          return;
        }
        roomId = frame.room_id;
        switch (frame.type) {
          case 'subscribe': {
            if (!data.subs.has(frame.room_id) && data.subs.size >= limits.maxSubscriptions) {
              throw new AppError('rate_limited', `at most ${limits.maxSubscriptions} rooms on one connection`);
            }
            return subscribe(ws, frame.room_id, frame.since);
          }
          case 'unsubscribe': {
            // Also a subscription still being admitted: it will not follow the room.
            cancelAdmission(ws, frame.room_id);
            leave(ws, frame.room_id);
            // Answered whether the room was followed or not: the answer tells the client where the
            // frames of the subscription it ended stop, should it follow the room again at once.
            sendFrame(ws, { type: 'unsubscribed', room_id: frame.room_id });
            return;
          }
          case 'message':
            return post(data, frame.room_id, frame.content, frame.client_msg_id);
          case 'typing':
            if (!data.subs.has(frame.room_id)) throw new AppError('bad_request', `subscribe to room ${frame.room_id} first`);
            return typing(data, frame.room_id);
          default: {
            const _exhaustive: never = frame;
          }
        }
      })().catch((err: unknown) => sendError(ws, err, roomId));
    },
    drain: onDrain,
    close: onClose,
  });

  return {
    /** The user left a room: a one-room socket closes with 4403; a multiplexed one drops the room. */
    evict(ws: Socket, roomId: string): void {
      const data = ws.getUserData();
      if (data.legacyRoom) {
        ws.end(CloseCode.notMember, 'no longer a member of this room');
        return;
      }
      if (leave(ws, roomId)) sendFrame(ws, { type: 'unsubscribed', room_id: roomId, reason: 'not_member' });
    },
  };
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
