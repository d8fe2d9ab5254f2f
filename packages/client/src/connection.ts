import { Backoff, RECONNECT_BACKOFF, type BackoffOptions } from './backoff.ts';
import type { ChatClient } from './client.ts';
import { Emitter } from './emitter.ts';
import { ApiError } from './http.ts';
import { PollTransport } from './poll-transport.ts';
import { Room, type RoomOptions } from './room.ts';
import { browserNetwork, type NetworkWatch } from './network.ts';
import { DROPPED, REFUSED, type Transport, type TransportKind } from './transport.ts';
import { CloseCode, type ServerFrame } from './wire.ts';
import { WebSocketTransport } from './ws-transport.ts';

/** How long an unsubscribe's answer is waited for before a room's frames are taken again (see `ending`). */
export const UNSUBSCRIBE_ANSWER_MS = 5000;

/**
 * The client's one connection to the gateway:
 *
 *   connecting ──welcome──▶ connected ──lost──▶ reconnecting ──welcome──▶ connected
 *       │                                          ▲    │  each failed try: wait (backoff), try again
 *       └──────────────────failed──────────────────┘    ◀┘
 *   any ──`offline` event──▶ offline ──`online` event──▶ reconnecting (at once, backoff reset)
 *   any ──close(), or the session refused──▶ closed (for good)
 */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'closed';

export type ConnectionEvents = {
  state: { state: ConnectionState; transport: TransportKind | null; retryInMs?: number; reason?: string };
  /** An error about the connection as a whole (a bad frame, a session the gateway refuses). */
  error: ApiError;
  /**
   * The inbox: a new timeline line in one of the user's rooms that this connection does not
   * follow (a followed room delivers it as its own `message`). A join or leave line of the user
   * themselves adds or removes the room from their rooms. Not replayed after a reconnect: reload
   * `myRooms()` then.
   */
  roomActivity: RoomActivity;
  /** How far the user has read a room, from any of their devices (this one included). */
  readMarker: ReadMarker;
  /**
   * Someone invited the user into a private room (`invitation` as `invitations()` lists it;
   * `join(room_id)` accepts it). Not replayed after a reconnect: reload `invitations()` then.
   */
  invited: Invited;
  /** The user declined an invitation, on this device or another: it is gone from the list. */
  invitationDeclined: InvitationDeclined;
};

export type RoomActivity = Omit<Extract<ServerFrame, { type: 'room_activity' }>, 'type'>;
export type ReadMarker = Omit<Extract<ServerFrame, { type: 'read_marker' }>, 'type'>;
export type Invited = Omit<Extract<ServerFrame, { type: 'invited' }>, 'type'>;
export type InvitationDeclined = Omit<Extract<ServerFrame, { type: 'invitation_declined' }>, 'type'>;

export interface ConnectionOptions {
  /** `auto` (default): a WebSocket, long-polling when WebSockets do not get through. */
  transport?: 'auto' | 'websocket' | 'poll';
  /** Between tries: doubling from `baseMs`, never more than `maxMs` (default 500 ms … 5 s), with jitter. */
  reconnect?: BackoffOptions;
  /** Consecutive WebSockets that never got `welcome`, while HTTP answered, before long-polling. */
  wsFailuresBeforePoll?: number;
  /** While long-polling, try a WebSocket again this often. */
  wsProbeMs?: number;
  pollWaitSeconds?: number;
  pollPresenceMs?: number;
  heartbeatMs?: number;
  openTimeoutMs?: number;
  /** Network events; defaults to the browser's (none in Node). `null`: do not watch. */
  network?: NetworkWatch | null;
  /** For tests: the jitter's randomness. */
  random?: () => number;
}

type Settings = Required<Omit<ConnectionOptions, 'network' | 'random'>>;

/**
 * One connection per client, and every room a subscription on it. A small state machine over
 * interchangeable transports (`WebSocketTransport`, `PollTransport`): it opens one, and when it
 * is lost, waits (backoff with jitter, capped at 5 s; at once after the gateway's 1001 and 1013,
 * and when the network comes back) and opens another; each room then resumes from its own cursor.
 */
export class Connection extends Emitter<ConnectionEvents> {
  state: ConnectionState = 'connecting';
  private transport: Transport | null = null;
  /** The transport the last `connected` state was told with. */
  private toldTransport: TransportKind | null = null;
  private probe: Transport | null = null;
  private readonly rooms = new Map<string, Room>();
  /**
   * Per transport, rooms whose subscription this client ended and the gateway has not yet answered
   * (`unsubscribed`): until it does, frames for the room are the ended subscription's, sent before
   * the gateway read the unsubscribe, and not for a new `Room` of the same room. Each unanswered
   * unsubscribe is one entry, given up after `UNSUBSCRIBE_ANSWER_MS` (a gateway that never answers
   * must not silence the room for good).
   */
  private readonly ending = new WeakMap<Transport, Map<string, object[]>>();
  private readonly answerTimers = new Set<ReturnType<typeof setTimeout>>();
  private readonly backoff: Backoff;
  private readonly settings: Settings;
  private readonly network: NetworkWatch | null;
  private wsFailures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private probeTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly unwatch: () => void;
  /** Lives while connected (see `connectedSignal`). */
  private period: AbortController | null = null;

  constructor(
    readonly client: ChatClient,
    opts: ConnectionOptions = {},
  ) {
    super();
    this.settings = {
      transport: opts.transport ?? 'auto',
      reconnect: opts.reconnect ?? RECONNECT_BACKOFF,
      wsFailuresBeforePoll: opts.wsFailuresBeforePoll ?? 2,
      wsProbeMs: opts.wsProbeMs ?? 60_000,
      pollWaitSeconds: opts.pollWaitSeconds ?? 25,
      pollPresenceMs: opts.pollPresenceMs ?? 10_000,
      heartbeatMs: opts.heartbeatMs ?? 25_000,
      openTimeoutMs: opts.openTimeoutMs ?? 10_000,
    };
    this.backoff = new Backoff(this.settings.reconnect, opts.random);
    this.network = opts.network === undefined ? browserNetwork() : opts.network;
    this.unwatch = this.watchNetwork();
    this.start();
  }

  /** The transport in use while connected: `websocket` or `poll`. */
  get transportKind(): TransportKind | null {
    return this.state === 'connected' ? (this.transport?.kind ?? null) : null;
  }

  /** A room as a subscription on this connection (the same object for the same room). */
  room(roomId: string, opts: RoomOptions = {}): Room {
    let room = this.rooms.get(roomId);
    if (room && room.state !== 'closed' && room.state !== 'refused') return room;
    room = new Room(this, roomId, opts);
    this.rooms.set(roomId, room);
    if (this.state === 'connected' && this.transport) room.attach(this.transport);
    return room;
  }

  /** Skips the wait: tries again now, from a fresh backoff (a "Reconnect now" button). */
  reconnectNow(): void {
    if (this.state === 'closed' || this.state === 'connected') return;
    this.backoff.reset();
    this.dropTransport('reconnecting now');
    this.start();
  }

  /**
   * Aborted when the connection stops being connected: a request made while connected that is
   * still waiting then (on a link that went away, to a gateway that is stopping) is given up and
   * made again once the connection is back, instead of hanging until its timeout.
   */
  get connectedSignal(): AbortSignal {
    return this.period?.signal ?? AbortSignal.abort(new ApiError(0, 'network', 'not connected'));
  }

  /** Resolves once connected (at once if it is); rejects if the connection is closed first. */
  whenConnected(signal?: AbortSignal): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    return this.nextConnected(signal);
  }

  /** Resolves the next time the connection becomes connected. */
  nextConnected(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.state === 'closed') return reject(new ApiError(0, 'closed', 'the connection is closed'));
      if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
      const off = this.on('state', ({ state }) => {
        if (state === 'connected') done(resolve);
        else if (state === 'closed') done(() => reject(new ApiError(0, 'closed', 'the connection is closed')));
      });
      const onAbort = () => done(() => reject(signal?.reason ?? new Error('aborted')));
      const done = (then: () => void) => {
        off();
        signal?.removeEventListener('abort', onAbort);
        then();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Closes the connection and every room on it, for good. */
  close(): void {
    if (this.state === 'closed') return;
    for (const room of [...this.rooms.values()]) room.close();
    for (const timer of this.answerTimers) clearTimeout(timer);
    this.answerTimers.clear();
    this.dropTransport('closed by the client', 1000);
    this.unwatch();
    this.setState('closed');
  }

  // ---- used by rooms ---------------------------------------------------------------------------

  /** @internal A room stops following on `transport`. */
  unsubscribe(transport: Transport, roomId: string): void {
    const ending = this.ending.get(transport) ?? new Map<string, object[]>();
    this.ending.set(transport, ending);
    const entry = {};
    ending.set(roomId, [...(ending.get(roomId) ?? []), entry]);
    const timer = setTimeout(() => {
      this.answerTimers.delete(timer);
      if (!ending.get(roomId)?.includes(entry)) return;
      // No answer: whatever a new subscription to the room was sent meanwhile went with the
      // ended one's frames, so it is asked for again.
      this.answered(ending, roomId, entry);
      const room = this.rooms.get(roomId);
      if (!ending.has(roomId) && room?.state === 'subscribing' && transport === this.transport) room.attach(transport);
    }, UNSUBSCRIBE_ANSWER_MS);
    this.answerTimers.add(timer);
    transport.unsubscribe(roomId);
  }

  /** An unsubscribe of the room answered (the oldest), or given up (`entry`). */
  private answered(ending: Map<string, object[]>, roomId: string, entry?: object): void {
    const left = (ending.get(roomId) ?? []).filter((e, i) => (entry ? e !== entry : i > 0));
    if (left.length > 0) ending.set(roomId, left);
    else ending.delete(roomId);
  }

  /** @internal */
  forget(room: Room): void {
    if (this.rooms.get(room.id) === room) this.rooms.delete(room.id);
  }

  // ---- the state machine -----------------------------------------------------------------------

  private start(): void {
    clearTimeout(this.retryTimer);
    if (this.state === 'closed') return;
    if (this.network?.onLine === false) {
      this.setState('offline', { reason: 'the device is offline' });
      return;
    }
    // After a loss it stays `reconnecting` through the attempts; `connecting` is the first one only.
    if (this.state === 'offline') this.setState('reconnecting', { reason: 'back online' });
    this.transport = this.open(this.usePoll() ? 'poll' : 'websocket');
  }

  private usePoll(): boolean {
    const { transport, wsFailuresBeforePoll } = this.settings;
    if (transport === 'poll' || !this.client.WebSocket) return true;
    return transport === 'auto' && this.wsFailures >= wsFailuresBeforePoll;
  }

  private open(kind: TransportKind): Transport {
    const events = {
      opened: () => this.onOpened(transport),
      frame: (frame: ServerFrame) => this.onFrame(transport, frame),
      closed: (info: { code: number; reason: string; opened: boolean }) => void this.onClosed(transport, info),
    };
    const transport: Transport =
      kind === 'poll'
        ? new PollTransport(this.client, { waitSeconds: this.settings.pollWaitSeconds, presenceMs: this.settings.pollPresenceMs }, events)
        : new WebSocketTransport(
            {
              WebSocket: this.client.WebSocket!,
              url: this.client.wsUrl('/ws', this.client.session?.token ? {} : { user_id: this.client.userId }),
              token: this.client.session?.token,
              heartbeatMs: this.settings.heartbeatMs,
              openTimeoutMs: this.settings.openTimeoutMs,
            },
            events,
          );
    return transport;
  }

  private onOpened(transport: Transport): void {
    if (transport === this.probe) {
      // WebSockets get through again: leave long-polling; rooms resume on the socket.
      this.probe = null;
      this.transport?.close(1000, 'replaced');
      this.transport = transport;
      this.wsFailures = 0;
      for (const room of this.rooms.values()) room.detach();
    } else if (transport !== this.transport) {
      return;
    }
    if (transport.kind === 'websocket') this.wsFailures = 0;
    this.backoff.reset();
    this.setState('connected');
    for (const room of [...this.rooms.values()]) room.attach(transport);
    if (transport.kind === 'poll') this.scheduleProbe();
  }

  private onFrame(transport: Transport, frame: ServerFrame): void {
    if (transport !== this.transport) return;
    // Inbox frames are about the user's rooms as a whole, followed or not: the connection's own.
    if (frame.type === 'room_activity') {
      this.emit('roomActivity', { room_id: frame.room_id, message: frame.message, seq: frame.seq });
      return;
    }
    if (frame.type === 'read_marker') {
      this.emit('readMarker', { room_id: frame.room_id, seq: frame.seq });
      return;
    }
    if (frame.type === 'invited') {
      this.emit('invited', { room_id: frame.room_id, invitation: frame.invitation, seq: frame.seq });
      return;
    }
    if (frame.type === 'invitation_declined') {
      this.emit('invitationDeclined', { room_id: frame.room_id, seq: frame.seq });
      return;
    }
    if ('room_id' in frame && frame.room_id !== undefined) {
      const ending = this.ending.get(transport);
      if (ending?.has(frame.room_id)) {
        // The ended subscription's frames, up to the answer to its unsubscribe (an eviction's
        // `unsubscribed` names its reason and is one of them).
        if (frame.type === 'unsubscribed' && !frame.reason) this.answered(ending, frame.room_id);
        return;
      }
      this.rooms.get(frame.room_id)?.handle(frame);
      return;
    }
    if (frame.type === 'error') this.emit('error', new ApiError(frame.code === 'rate_limited' ? 429 : 400, frame.code, frame.message));
  }

  private async onClosed(transport: Transport, { code, reason, opened }: { code: number; reason: string; opened: boolean }): Promise<void> {
    if (transport === this.probe) {
      this.probe = null;
      if (this.transport?.kind === 'poll') this.scheduleProbe();
      return;
    }
    if (transport !== this.transport) return;
    this.transport = null;
    for (const room of this.rooms.values()) room.detach();
    if (this.state === 'closed') return;
    const why = reason || `closed (${code})`;
    if (code === REFUSED) {
      this.fail(new ApiError(401, 'unauthorized', why));
      return;
    }
    if (!opened) {
      // Only a WebSocket that fails while plain HTTP gets through says WebSockets are blocked (or
      // the session is refused); when both fail, the network or gateway is simply down.
      const http = await this.httpAnswer();
      // (the state may have moved on while we asked)
      if ((this.state as ConnectionState) === 'closed' || this.transport) return;
      if (http instanceof ApiError && http.status === 401) return this.fail(http);
      if (transport.kind === 'websocket') this.wsFailures = http === 'answers' && this.settings.transport === 'auto' ? this.wsFailures + 1 : 0;
      return this.retry(why);
    }
    // 1001 (gateway stopping) and 1013 (fell behind) ask us to come back: soon, with a little jitter.
    const soon = code === CloseCode.goingAway || code === CloseCode.tryAgainLater;
    this.retry(why, soon ? Math.round(Math.random() * 300) : undefined);
  }

  private retry(reason: string, delayMs?: number): void {
    if (this.network?.onLine === false) {
      this.setState('offline', { reason: 'the device is offline' });
      return;
    }
    const retryInMs = delayMs ?? this.backoff.next();
    this.setState('reconnecting', { retryInMs, reason });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.start(), retryInMs);
  }

  private scheduleProbe(): void {
    clearTimeout(this.probeTimer);
    if (this.settings.transport !== 'auto' || !this.client.WebSocket) return;
    this.probeTimer = setTimeout(() => {
      if (this.state === 'connected' && this.transport?.kind === 'poll' && !this.probe) this.probe = this.open('websocket');
    }, this.settings.wsProbeMs);
  }

  /** Whether the gateway answers plain HTTP now: `answers`, the error it answered, or `silent`. */
  private async httpAnswer(): Promise<'answers' | 'silent' | ApiError> {
    try {
      await this.client.http.request({ method: 'GET', path: `/users/${encodeURIComponent(this.client.userId)}`, attempts: 1, timeoutMs: 5000 });
      return 'answers';
    } catch (err) {
      return err instanceof ApiError && err.status > 0 ? err : 'silent';
    }
  }

  private fail(err: ApiError): void {
    this.emit('error', err);
    this.close();
  }

  private dropTransport(reason: string, code = DROPPED): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.probeTimer);
    for (const t of [this.transport, this.probe]) t?.close(code, reason);
    this.transport = null;
    this.probe = null;
    for (const room of this.rooms.values()) room.detach();
  }

  private watchNetwork(): () => void {
    const network = this.network;
    if (!network) return () => undefined;
    const offline = () => {
      if (this.state === 'closed') return;
      // A socket on a link that went away may take minutes to notice: drop it now.
      this.dropTransport('offline');
      this.setState('offline', { reason: 'the device is offline' });
    };
    const online = () => {
      if (this.state === 'closed' || this.state === 'connected') return;
      this.backoff.reset();
      this.dropTransport('back online');
      this.start();
    };
    network.addEventListener('offline', offline);
    network.addEventListener('online', online);
    return () => {
      network.removeEventListener('offline', offline);
      network.removeEventListener('online', online);
    };
  }

  private setState(state: ConnectionState, extra: { retryInMs?: number; reason?: string } = {}): void {
    const changed = state !== this.state;
    // Connected again over another transport (long-polling → WebSocket) is news too: what the
    // inbox brings starts now, so lists kept from the server load again.
    const switched = state === 'connected' && this.toldTransport !== this.transportKind;
    this.state = state;
    if (state === 'connected') this.toldTransport = this.transportKind;
    if (changed && state === 'connected') this.period = new AbortController();
    else if (changed && this.period) {
      this.period.abort(new ApiError(0, 'network', `connection ${state}`));
      this.period = null;
    }
    if (changed || switched || state === 'reconnecting') this.emit('state', { state, transport: this.transportKind, ...extra });
  }
}
