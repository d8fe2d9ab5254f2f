import { CloseCode } from '@chat/contracts/close-codes';
import type { MemberView, MessageView, ServerFrame } from '@chat/contracts';
import { Backoff, RECONNECT_BACKOFF, type BackoffOptions } from './backoff.ts';
import type { ChatClient, PostResult } from './client.ts';
import { Cursor } from './cursor.ts';
import { Emitter } from './emitter.ts';
import { ApiError, sleep } from './http.ts';
import { newClientMsgId } from './ids.ts';
import type { ProfileChange } from './timeline.ts';

/** What the SDK needs of a WebSocket: the browser's, or the `ws` package's in Node. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: string }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type WebSocketCtor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export type ConnectionState =
  /** Opening the first connection. */
  | 'connecting'
  /** Receiving live over a WebSocket. */
  | 'live'
  /** Receiving by long-poll (WebSockets did not get through). */
  | 'polling'
  /** Lost the connection; trying again after `retryInMs`. */
  | 'reconnecting'
  /** The device is offline; trying again as soon as it is back. */
  | 'offline'
  /** Closed by `close()`, or for good (not a member, signed out). */
  | 'closed';

export type Transport = 'websocket' | 'poll';

export interface RoomEvents extends Record<string, unknown> {
  /** A new message, once, in seq order. `replayed`: it was missed while disconnected and caught up. */
  message: { message: MessageView; replayed: boolean };
  message_updated: MessageView;
  member_joined: MemberView;
  member_left: { user_id: string };
  /** A user's new name or avatar (live; by long-poll, noticed from the member list). */
  profile_updated: ProfileChange;
  /** Everyone online in the room (several tabs of one user are one entry). */
  presence: { online: string[] };
  typing: { user_id: string };
  state: { state: ConnectionState; transport: Transport | null; retryInMs?: number; reason?: string };
  /** Back after a gap: every missed message has been delivered (`missed` of them). */
  resumed: { missed: number; transport: Transport; cursor: number | undefined };
  error: ApiError;
}

export interface RoomConnectionOptions {
  /** Deliver every message after this seq (e.g. the newest one of the history on screen). */
  since?: number | undefined;
  /** `auto` (default): WebSocket, long-poll when it does not get through. */
  transport?: 'auto' | 'websocket' | 'poll';
  reconnect?: BackoffOptions;
  /** Consecutive WebSocket attempts that never got `ready` before falling back to long-poll. */
  wsFailuresBeforePoll?: number;
  /** While long-polling, try a WebSocket again this often. */
  wsProbeMs?: number;
  pollWaitSeconds?: number;
  /** While long-polling, refresh presence and members this often. */
  pollPresenceMs?: number;
  /** Ping this often; no frame for twice as long means a dead connection. */
  heartbeatMs?: number;
  /** A socket that has not said `ready` after this long is given up. */
  openTimeoutMs?: number;
  /** Follow the browser's online/offline events (default: where they exist). */
  watchNetwork?: boolean;
}

const PROTOCOL = 'chat.v1';
/** `navigator.onLine` where there is one (Node 21+ has a navigator without it). */
const browserNavigator = (): { onLine?: boolean } | undefined => (globalThis as { navigator?: { onLine?: boolean } }).navigator;
const POLL_PAGE = 100;
const TYPING_INTERVAL_MS = 1500;
/** A connection that stayed up this long was a real success: the next failure starts from the first backoff step. */
const STABLE_MS = 5000;
/** Client-side close codes (4000-4999 are the application's). */
const DROPPED = 4000;

interface Socket {
  ws: WebSocketLike;
  ready: boolean;
  probe: boolean;
  openTimer: ReturnType<typeof setTimeout>;
  readyAt: number;
}

/**
 * One room, live. Delivers each message once and in order whatever happens underneath: the
 * cursor (the seq of the last message delivered) goes with every reconnect (`since=`) and every
 * long-poll (`after=`), and anything at or below it is a repeat and dropped.
 *
 * - WebSocket first. A drop reconnects after a backoff with jitter (at once for the gateway's
 *   "come back" codes 1001 and 1013); 4403 (no longer a member) ends the connection.
 * - When WebSockets do not get through (`wsFailuresBeforePoll` attempts in a row never reached
 *   `ready`, or no WebSocket exists at all), it long-polls, and tries a WebSocket again now and then.
 * - A ping every `heartbeatMs` catches connections that died silently; in a browser, going offline
 *   drops the connection and coming back online reconnects at once.
 * - `send()` posts over HTTP with a `client_msg_id`, retried until it is stored: a retry is never
 *   a second message.
 */
export class RoomConnection extends Emitter<RoomEvents> {
  readonly cursor: Cursor;
  state: ConnectionState = 'connecting';
  transport: Transport | null = null;
  /** Who is online, as last reported. */
  readonly online = new Set<string>();

  private readonly opts: Required<Omit<RoomConnectionOptions, 'since'>>;
  private readonly backoff: Backoff;
  private socket: Socket | null = null;
  /** A WebSocket tried while long-polling; it takes over once it is `ready`. */
  private probe: Socket | null = null;
  private wsFailures = 0;
  private poll: AbortController | null = null;
  private pollTimers: ReturnType<typeof setTimeout>[] = [];
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private lastFrameAt = 0;
  private lastTypingAt = 0;
  private presenceSeq: number | null = null;
  private knownMembers = new Map<string, ProfileChange>();
  /** Between losing the connection and being caught up again. */
  private gap: { missed: number } | null = null;
  private wasLive = false;
  private closed = false;
  private readonly unwatch: () => void;

  constructor(
    readonly client: ChatClient,
    readonly roomId: string,
    opts: RoomConnectionOptions = {},
  ) {
    super();
    this.cursor = new Cursor(opts.since);
    const hasNetworkEvents =
      typeof (globalThis as { addEventListener?: unknown }).addEventListener === 'function' && typeof browserNavigator()?.onLine === 'boolean';
    this.opts = {
      transport: opts.transport ?? 'auto',
      reconnect: opts.reconnect ?? RECONNECT_BACKOFF,
      wsFailuresBeforePoll: opts.wsFailuresBeforePoll ?? 2,
      wsProbeMs: opts.wsProbeMs ?? 60_000,
      pollWaitSeconds: opts.pollWaitSeconds ?? 25,
      pollPresenceMs: opts.pollPresenceMs ?? 10_000,
      heartbeatMs: opts.heartbeatMs ?? 25_000,
      openTimeoutMs: opts.openTimeoutMs ?? 15_000,
      watchNetwork: opts.watchNetwork ?? hasNetworkEvents,
    };
    this.backoff = new Backoff(this.opts.reconnect);
    this.unwatch = this.opts.watchNetwork ? this.watchNetwork() : () => undefined;
    queueMicrotask(() => void this.open());
  }

  /** Posts a message (see `ChatClient.post`): safe to retry, stored once. */
  send(content: string, opts: { clientMsgId?: string; signal?: AbortSignal } = {}): Promise<PostResult> {
    return this.client.post(this.roomId, content, { clientMsgId: opts.clientMsgId ?? newClientMsgId(), signal: opts.signal });
  }

  /** Tells the others this user is typing (at most every 1.5 s; only over a WebSocket). */
  typing(): void {
    const now = Date.now();
    if (!this.socket?.ready || now - this.lastTypingAt < TYPING_INTERVAL_MS) return;
    this.lastTypingAt = now;
    this.socket.ws.send(JSON.stringify({ type: 'typing' }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.teardown(1000, 'closed by the client');
    this.unwatch();
    this.setState('closed');
  }

  // ---- opening -----------------------------------------------------------------------------

  private async open(): Promise<void> {
    if (this.closed) return;
    this.clearReconnect();
    if (this.cursor.value === undefined) {
      // Start where the room is now; the socket's `since` then makes the start gap-free.
      try {
        this.cursor.advanceTo((await this.client.getRoom(this.roomId)).last_seq);
      } catch (err) {
        if (this.closed) return;
        if (err instanceof ApiError && !err.retryable) return this.fail(err);
        return this.scheduleReconnect(err instanceof Error ? err.message : String(err));
      }
      if (this.closed) return;
    }
    const ws = this.client.WebSocket;
    const usePoll = this.opts.transport === 'poll' || !ws || (this.opts.transport === 'auto' && this.wsFailures >= this.opts.wsFailuresBeforePoll);
    if (usePoll) this.startPolling();
    else this.openSocket(false);
  }

  private openSocket(probe: boolean): void {
    const Ctor = this.client.WebSocket;
    if (!Ctor || this.closed) return;
    // One socket at a time (an `online` event and a reconnect timer can both get here).
    const previous = probe ? this.probe : this.socket;
    if (previous) {
      clearTimeout(previous.openTimer);
      previous.ws.onmessage = previous.ws.onclose = previous.ws.onerror = null;
      try {
        previous.ws.close(DROPPED, 'replaced');
      } catch {
        // already closed
      }
    }
    const session = this.client.session;
    const url = this.client.wsUrl(`/ws/${encodeURIComponent(this.roomId)}/${encodeURIComponent(this.client.userId)}`, { since: this.cursor.value });
    // Browsers cannot set headers on a WebSocket: the token travels as a subprotocol, and the
    // gateway answers with the other one, which carries no secret.
    const protocols = session?.token ? [PROTOCOL, `token.${session.token}`] : [PROTOCOL];
    let ws: WebSocketLike;
    try {
      ws = new Ctor(url, protocols);
    } catch (err) {
      this.onSocketGone(null, DROPPED, err instanceof Error ? err.message : 'cannot open a WebSocket', probe);
      return;
    }
    const socket: Socket = {
      ws,
      ready: false,
      probe,
      readyAt: 0,
      openTimer: setTimeout(() => this.drop(socket, 'no ready frame in time'), this.opts.openTimeoutMs),
    };
    if (probe) this.probe = socket;
    else this.socket = socket;
    ws.onmessage = (ev: { data: unknown }) => this.onFrame(socket, ev.data);
    ws.onclose = (ev: { code?: number; reason?: string }) => this.onSocketGone(socket, ev.code ?? 1006, ev.reason ?? '', socket.probe);
    ws.onerror = () => undefined; // a close event follows
  }

  private onFrame(socket: Socket, data: unknown): void {
    if (this.closed) return;
    this.lastFrameAt = Date.now();
    let frame: ServerFrame;
    try {
      frame = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer)) as ServerFrame;
    } catch {
      return;
    }
    switch (frame.type) {
      case 'message':
        this.deliver(frame.message);
        return;
      case 'message_updated':
        this.emit('message_updated', frame.message);
        return;
      case 'member_joined':
        this.emit('member_joined', frame.member);
        return;
      case 'member_left':
        this.emit('member_left', { user_id: frame.user_id });
        return;
      case 'profile_updated':
        this.emit('profile_updated', { id: frame.user.id, username: frame.user.username, avatar: frame.user.avatar });
        return;
      case 'presence':
        this.onPresence(frame);
        return;
      case 'typing':
        this.emit('typing', { user_id: frame.user_id });
        return;
      case 'ready':
        this.onReady(socket, frame.cursor);
        return;
      case 'error':
        this.emit('error', new ApiError(frame.code === 'rate_limited' ? 429 : frame.code === 'not_member' ? 403 : 400, frame.code, frame.message));
        return;
      case 'pong':
        return;
    }
  }

  private onReady(socket: Socket, cursor: number): void {
    clearTimeout(socket.openTimer);
    // Everything up to `cursor` has come before `ready`.
    this.cursor.advanceTo(cursor);
    socket.ready = true;
    socket.readyAt = Date.now();
    this.wsFailures = 0;
    if (socket.probe) {
      // WebSockets get through again: leave long-polling.
      this.stopPolling();
      socket.probe = false;
      this.probe = null;
      this.socket = socket;
    }
    this.startHeartbeat();
    this.becomeLive('websocket');
  }

  private becomeLive(transport: Transport): void {
    this.transport = transport;
    this.wasLive = true;
    this.setState(transport === 'websocket' ? 'live' : 'polling');
    if (this.gap) {
      const missed = this.gap.missed;
      this.gap = null;
      this.emit('resumed', { missed, transport, cursor: this.cursor.value });
    }
  }

  private deliver(message: MessageView): void {
    if (!this.cursor.offer(message.seq)) return;
    if (this.gap) this.gap.missed++;
    this.emit('message', { message, replayed: this.gap !== null });
  }

  private onPresence(frame: Extract<ServerFrame, { type: 'presence' }>): void {
    if (frame.online) {
      this.online.clear();
      for (const u of frame.online) this.online.add(u);
    } else if (this.presenceSeq !== null && frame.seq !== this.presenceSeq + 1) {
      // A diff went missing: ask for the whole list instead of guessing.
      this.presenceSeq = frame.seq;
      void this.refreshPresence();
      return;
    } else {
      for (const u of frame.left ?? []) this.online.delete(u);
      for (const u of frame.joined ?? []) this.online.add(u);
    }
    this.presenceSeq = frame.seq;
    this.emit('presence', { online: [...this.online] });
  }

  private async refreshPresence(signal?: AbortSignal): Promise<void> {
    try {
      const { online } = await this.client.presence(this.roomId, signal);
      if (this.closed) return;
      this.online.clear();
      for (const u of online) this.online.add(u);
      this.emit('presence', { online });
    } catch {
      // the next refresh or snapshot will do
    }
  }

  // ---- losing the connection -----------------------------------------------------------------

  /** Gives up on a socket now (no close handshake to wait for on a dead link), as if it closed. */
  private drop(socket: Socket, reason: string): void {
    socket.ws.onclose = null;
    try {
      socket.ws.close(DROPPED, reason.slice(0, 100));
    } catch {
      // already closing
    }
    this.onSocketGone(socket, DROPPED, reason, socket.probe);
  }

  private onSocketGone(socket: Socket | null, code: number, reason: string, probe: boolean): void {
    if (socket) {
      clearTimeout(socket.openTimer);
      socket.ws.onmessage = socket.ws.onclose = socket.ws.onerror = null;
    }
    if (this.closed) return;
    if (probe) {
      // Still blocked: keep polling, look again later.
      if (this.probe === socket) this.probe = null;
      if (!this.poll) return;
      this.pollTimers.push(setTimeout(() => this.openSocket(true), this.opts.wsProbeMs));
      return;
    }
    if (socket && this.socket !== socket) return;
    this.socket = null;
    this.stopHeartbeat();
    if (code === CloseCode.notMember) {
      this.fail(new ApiError(403, 'not_member', reason || 'no longer a member of this room'));
      return;
    }
    if (socket?.ready && Date.now() - socket.readyAt > STABLE_MS) this.backoff.reset();
    this.lostConnection();
    if (!socket?.ready && this.opts.transport === 'auto') {
      // Only a WebSocket that fails while plain HTTP gets through says WebSockets are blocked;
      // when both fail, the network is simply down and the socket is tried again.
      void this.httpAnswers().then((answers) => {
        if (this.closed || this.socket || this.poll) return;
        this.wsFailures = answers ? this.wsFailures + 1 : 0;
        if (this.wsFailures >= this.opts.wsFailuresBeforePoll) return this.startPolling();
        this.scheduleReconnect(reason || `closed (${code})`);
      });
      return;
    }
    // 1001 (gateway stopping) and 1013 (fell behind) ask us to come back: soon, with a little
    // jitter; but a connection that keeps getting them goes through the backoff like any other.
    const stable = socket?.ready === true && Date.now() - socket.readyAt > STABLE_MS;
    const soon = (code === CloseCode.goingAway || code === CloseCode.tryAgainLater) && (stable || this.backoff.attempts === 0);
    if (soon) this.backoff.next();
    this.scheduleReconnect(reason || `closed (${code})`, soon ? Math.round(Math.random() * 500) : undefined);
  }

  /** Whether the gateway answers plain HTTP right now (any answer, an error status included). */
  private async httpAnswers(): Promise<boolean> {
    try {
      await this.client.http.request({ method: 'GET', path: `/rooms/${encodeURIComponent(this.roomId)}`, attempts: 1, timeoutMs: 5000 });
      return true;
    } catch (err) {
      return err instanceof ApiError && err.status > 0;
    }
  }

  /** From here until caught up, delivered messages are ones that were missed. */
  private lostConnection(): void {
    if (this.wasLive && !this.gap) this.gap = { missed: 0 };
  }

  private scheduleReconnect(reason: string, delayMs?: number): void {
    if (this.closed) return;
    this.clearReconnect();
    if (this.isOffline()) {
      // The `online` event reconnects.
      this.setState('offline', { reason: 'the device is offline' });
      return;
    }
    const retryInMs = delayMs ?? this.backoff.next();
    this.setState('reconnecting', { retryInMs, reason });
    this.reconnectTimer = setTimeout(() => void this.open(), retryInMs);
  }

  private clearReconnect(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.lastFrameAt = Date.now();
    this.heartbeat = setInterval(() => {
      const socket = this.socket;
      if (!socket) return;
      if (Date.now() - this.lastFrameAt > 2 * this.opts.heartbeatMs) return this.drop(socket, 'no answer to ping');
      try {
        socket.ws.send(JSON.stringify({ type: 'ping' }));
      } catch {
        this.drop(socket, 'cannot send');
      }
    }, this.opts.heartbeatMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private fail(err: ApiError): void {
    this.closed = true;
    this.teardown(1000, err.code);
    this.unwatch();
    this.emit('error', err);
    this.setState('closed', { reason: err.message });
  }

  private teardown(code: number, reason: string): void {
    this.clearReconnect();
    this.stopHeartbeat();
    this.stopPolling();
    for (const socket of [this.socket, this.probe]) {
      if (!socket) continue;
      clearTimeout(socket.openTimer);
      socket.ws.onmessage = socket.ws.onclose = socket.ws.onerror = null;
      try {
        socket.ws.close(code, reason);
      } catch {
        // already closed
      }
    }
    this.socket = null;
    this.probe = null;
  }

  // ---- long-polling --------------------------------------------------------------------------

  private startPolling(): void {
    if (this.poll || this.closed) return;
    const poll = new AbortController();
    this.poll = poll;
    this.transport = 'poll';
    void this.pollLoop(poll.signal);
    const refresh = () => {
      if (poll.signal.aborted) return;
      void this.refreshPresence(poll.signal);
      void this.refreshMembers(poll.signal);
      this.pollTimers.push(setTimeout(refresh, this.opts.pollPresenceMs));
    };
    refresh();
    if (this.opts.transport === 'auto' && this.client.WebSocket) this.pollTimers.push(setTimeout(() => this.openSocket(true), this.opts.wsProbeMs));
  }

  private stopPolling(): void {
    this.poll?.abort();
    this.poll = null;
    for (const t of this.pollTimers) clearTimeout(t);
    this.pollTimers = [];
  }

  private async pollLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      // Catching up answers at once; only a poller that is up to date waits for the next message.
      const wait = this.state === 'polling' ? this.opts.pollWaitSeconds : undefined;
      try {
        const page = await this.client.history(this.roomId, { after: this.cursor.value ?? 0, limit: POLL_PAGE, wait }, { signal });
        if (signal.aborted) return;
        for (const message of page) this.deliver(message);
        // A full page means more are waiting: caught up only once a page comes back short.
        if (page.length < POLL_PAGE && this.state !== 'polling') {
          this.backoff.reset();
          this.becomeLive('poll');
        }
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiError && !err.retryable) return this.fail(err);
        this.lostConnection();
        if (err instanceof ApiError && err.status === 0 && this.opts.transport === 'auto' && this.client.WebSocket) {
          // Plain HTTP gets no answer either: the network or the gateway is down, which says
          // nothing against WebSockets. Back to reconnecting, WebSocket first.
          this.stopPolling();
          this.wsFailures = 0;
          return this.scheduleReconnect(err.message);
        }
        if (this.isOffline()) {
          // Polling resumes from the `online` event.
          this.stopPolling();
          this.setState('offline', { reason: 'the device is offline' });
          return;
        }
        const retryInMs = this.backoff.next();
        this.setState('reconnecting', { retryInMs, reason: err instanceof Error ? err.message : String(err) });
        await sleep(retryInMs, signal).catch(() => undefined);
      }
    }
  }

  /** Long-poll carries no profile frames: a changed name or avatar is noticed in the member list. */
  private async refreshMembers(signal: AbortSignal): Promise<void> {
    try {
      const members = await this.client.members(this.roomId, signal);
      for (const m of members) {
        const before = this.knownMembers.get(m.user_id);
        const now = { id: m.user_id, username: m.username, avatar: m.avatar };
        this.knownMembers.set(m.user_id, now);
        if (before && (before.username !== now.username || before.avatar !== now.avatar)) this.emit('profile_updated', now);
      }
    } catch {
      // the next refresh will do
    }
  }

  // ---- network ---------------------------------------------------------------------------------

  private isOffline(): boolean {
    return this.opts.watchNetwork && browserNavigator()?.onLine === false;
  }

  private watchNetwork(): () => void {
    const target = globalThis as unknown as { addEventListener(t: string, f: () => void): void; removeEventListener(t: string, f: () => void): void };
    const offline = () => {
      if (this.closed) return;
      // A socket on a link that went away may take minutes to notice; drop it now.
      if (this.socket || this.poll) this.lostConnection();
      this.teardown(DROPPED, 'offline');
      this.setState('offline', { reason: 'the device is offline' });
    };
    const online = () => {
      if (this.closed) return;
      this.teardown(DROPPED, 'reconnecting');
      this.backoff.reset();
      void this.open();
    };
    target.addEventListener('offline', offline);
    target.addEventListener('online', online);
    return () => {
      target.removeEventListener('offline', offline);
      target.removeEventListener('online', online);
    };
  }

  private setState(state: ConnectionState, extra: { retryInMs?: number; reason?: string } = {}): void {
    const changed = state !== this.state;
    this.state = state;
    if (changed || state === 'reconnecting') this.emit('state', { state, transport: this.transport, ...extra });
  }
}
