import { Backoff, RECONNECT_BACKOFF } from './backoff.ts';
import type { Connection } from './connection.ts';
import { Cursor } from './cursor.ts';
import { Emitter } from './emitter.ts';
import { HistoryPager } from './history.ts';
import { ApiError } from './http.ts';
import { newClientMsgId } from './ids.ts';
import { deliverPost } from './outbox.ts';
import type { PostResult } from './client.ts';
import type { Transport } from './transport.ts';
import { defaultAvatar, type MemberView, type MessageView, type ServerFrame } from './wire.ts';

/** A user as a room shows them: name and avatar (a path such as `/avatars/<key>.webp`; see `client.resolve`). */
export interface Person {
  user_id: string;
  username: string;
  avatar: string;
}

/** A user's new name or avatar. */
export interface ProfileChange {
  id: string;
  username: string;
  avatar: string;
}

/**
 * - `pending`: waiting for the connection;
 * - `subscribing`: asked for, catching up from the cursor;
 * - `live`: caught up, live frames flowing;
 * - `refused`: the gateway refused it for good (not a member, no such room): see the `error` event;
 * - `closed`: by `close()`.
 */
export type RoomState = 'pending' | 'subscribing' | 'live' | 'refused' | 'closed';

export type RoomEvents = {
  /** A new message, once, in seq order. `replayed`: it was missed while disconnected and caught up. */
  message: { message: MessageView; replayed: boolean };
  /** An edit or deletion of a message. */
  message_updated: MessageView;
  member_joined: MemberView;
  member_left: { user_id: string };
  /** A member's new name or avatar. */
  profile_updated: ProfileChange;
  /** Everyone online in the room, with names and avatars (several devices of one user are one entry). */
  presence: { online: Person[] };
  typing: Person;
  state: { state: RoomState; reason?: string };
  /** Back after a gap: every missed message has been delivered (`missed` of them). */
  resumed: { missed: number; cursor: number | undefined };
  error: ApiError;
};

export interface RoomOptions {
  /** Deliver every message after this seq (e.g. the newest of the history on screen); default: from now. */
  since?: number | undefined;
}

/** Refusals of a subscription that will not change by trying again. */
const FINAL = new Set(['not_member', 'not_found', 'forbidden', 'unauthorized', 'bad_request', 'validation_failed']);
const TYPING_INTERVAL_MS = 1500;

/**
 * One room as a subscription on the client's connection: its own cursor (the seq of the last
 * timeline frame delivered), resumed from after every reconnect, so each message is delivered once
 * and in order; who is online, with names and avatars; typing; and `send()`, which keeps a message
 * typed while disconnected and sends it (same `client_msg_id`) as soon as the connection is back.
 */
export class Room extends Emitter<RoomEvents> {
  state: RoomState = 'pending';
  readonly cursor: Cursor;
  private transport: Transport | null = null;
  private readonly online = new Set<string>();
  private readonly members = new Map<string, Person>();
  private membersLoaded: Promise<void> | null = null;
  private presenceSeq: number | null = null;
  /** Between losing the connection and being caught up again. */
  private gap: { missed: number } | null = null;
  private wasLive = false;
  private lastTypingAt = 0;
  private readonly retry = new Backoff(RECONNECT_BACKOFF);
  /** Posts on their way, by client_msg_id: their message once it shows in the timeline, else null. */
  private readonly sending = new Map<string, MessageView | null>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly closing = new AbortController();

  constructor(
    readonly connection: Connection,
    readonly id: string,
    opts: RoomOptions = {},
  ) {
    super();
    this.cursor = new Cursor(opts.since);
  }

  /** Who is online now, with names and avatars. */
  get presence(): Person[] {
    return [...this.online].map((id) => this.person(id));
  }

  /**
   * Posts a message: at once when connected; typed while the connection is down, as soon as it is
   * back. Every try carries the same `client_msg_id`, so it is stored once. A try whose answer was
   * lost may have landed: once its message shows in the timeline (live, or in the replay after a
   * reconnect), that message is the answer and it is not sent again. So a retry long after the
   * server's duplicate window (2 minutes) still makes no second message. Rejects only on a
   * refusal that trying again would not change (too long, not a member), or when closed.
   */
  async send(content: string, opts: { clientMsgId?: string; signal?: AbortSignal } = {}): Promise<PostResult> {
    const clientMsgId = opts.clientMsgId ?? newClientMsgId();
    const signal = opts.signal ? AbortSignal.any([opts.signal, this.closing.signal]) : this.closing.signal;
    const client = this.connection.client;
    this.sending.set(clientMsgId, null);
    let tries = 0;
    try {
      return await deliverPost(
        async (attempt) => {
          // A retry waits for the room to be caught up, so that a message that landed has shown.
          if (tries++ > 0) await this.caughtUp(attempt);
          return this.sending.get(clientMsgId) ?? client.post(this.id, content, { clientMsgId, signal: attempt, attempts: 1 });
        },
        this.connection,
        signal,
      );
    } finally {
      this.sending.delete(clientMsgId);
    }
  }

  /** Resolves once the room is live (its replay delivered), or can no longer be (refused, closed). */
  private caughtUp(signal: AbortSignal): Promise<void> {
    if (this.state === 'live' || this.state === 'refused' || this.state === 'closed') return Promise.resolve();
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        off();
        reject(signal.reason);
      };
      const off = this.on('state', ({ state }) => {
        if (state !== 'live' && state !== 'refused' && state !== 'closed') return;
        off();
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Tells the others this user is typing (at most every 1.5 s; only over a WebSocket). */
  typing(): void {
    const now = Date.now();
    if (this.state !== 'live' || now - this.lastTypingAt < TYPING_INTERVAL_MS) return;
    this.lastTypingAt = now;
    this.transport?.typing(this.id);
  }

  /** Pages of this room's history, newest first: `await pager.older()` until `pager.done`. */
  history(pageSize = 50): HistoryPager {
    return new HistoryPager(this.connection.client, this.id, pageSize);
  }

  /** Stops following the room (the connection stays, for the other rooms). */
  close(): void {
    if (this.state === 'closed') return;
    if (this.transport) this.connection.unsubscribe(this.transport, this.id);
    this.end('closed');
  }

  // ---- driven by the connection ------------------------------------------------------------------

  /** @internal The connection is up: follow the room from the cursor. */
  attach(transport: Transport): void {
    if (this.state === 'closed' || this.state === 'refused') return;
    this.transport = transport;
    clearTimeout(this.retryTimer);
    this.setState('subscribing');
    transport.subscribe(this.id, this.cursor.value);
    this.loadMembers();
  }

  /** @internal The connection is gone; `attach` follows when it is back. */
  detach(): void {
    this.transport = null;
    clearTimeout(this.retryTimer);
    if (this.state === 'closed' || this.state === 'refused') return;
    if (this.wasLive && !this.gap) this.gap = { missed: 0 };
    this.presenceSeq = null;
    this.setState('pending');
  }

  /** @internal A frame about this room. */
  handle(frame: ServerFrame): void {
    if (this.state === 'closed' || this.state === 'refused') return;
    switch (frame.type) {
      case 'message':
        if (!this.cursor.offer(frame.seq)) return;
        if (this.gap) this.gap.missed++;
        this.remember(frame.message);
        if (frame.message.client_msg_id && this.sending.get(frame.message.client_msg_id) === null) this.sending.set(frame.message.client_msg_id, frame.message);
        this.emit('message', { message: frame.message, replayed: this.gap !== null });
        return;
      case 'message_updated':
        if (!this.cursor.offer(frame.seq)) return;
        this.emit('message_updated', frame.message);
        return;
      case 'member_joined':
        // Every frame about the room's log moves the cursor (a resume from it does not bring it
        // again); a join or leave comes right after its system line, at the same seq.
        if (!this.cursor.reach(frame.seq)) return;
        this.members.set(frame.member.user_id, { user_id: frame.member.user_id, username: frame.member.username, avatar: frame.member.avatar });
        this.emit('member_joined', frame.member);
        return;
      case 'member_left':
        if (!this.cursor.reach(frame.seq)) return;
        this.emit('member_left', { user_id: frame.user_id });
        return;
      case 'profile_updated': {
        if (!this.cursor.offer(frame.seq)) return;
        const { id, username, avatar } = frame.user;
        this.members.set(id, { user_id: id, username, avatar });
        this.emit('profile_updated', { id, username, avatar });
        if (this.online.has(id)) this.emitPresence();
        return;
      }
      case 'presence':
        this.onPresence(frame);
        return;
      case 'typing':
        this.emit('typing', this.person(frame.user_id));
        return;
      case 'subscribed':
        this.cursor.advanceTo(frame.cursor);
        this.retry.reset();
        this.wasLive = true;
        this.setState('live');
        if (this.gap) {
          const { missed } = this.gap;
          this.gap = null;
          this.emit('resumed', { missed, cursor: this.cursor.value });
        }
        return;
      case 'unsubscribed':
        if (frame.reason === 'not_member') this.refuse(new ApiError(403, 'not_member', 'no longer a member of this room'));
        return;
      case 'error':
        this.onError(new ApiError(frame.code === 'rate_limited' ? 429 : frame.code === 'not_member' ? 403 : 400, frame.code, frame.message));
        return;
      case 'ready':
      case 'room_activity':
      case 'read_marker':
      case 'invited':
      case 'invitation_declined':
        // (the connection handles inbox frames itself)
        return;
    }
  }

  private onError(err: ApiError): void {
    if (this.state !== 'subscribing') {
      this.emit('error', err);
      return;
    }
    if (FINAL.has(err.code)) {
      this.refuse(err);
      return;
    }
    // The gateway could not serve the subscription now (read side behind, rate limited): ask again.
    this.emit('error', err);
    const transport = this.transport;
    this.retryTimer = setTimeout(() => {
      if (transport && transport === this.transport && this.state === 'subscribing') transport.subscribe(this.id, this.cursor.value);
    }, this.retry.next());
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
    if ([...this.online].some((u) => !this.members.has(u))) this.loadMembers(true);
    this.emitPresence();
  }

  private async refreshPresence(): Promise<void> {
    try {
      const { online } = await this.connection.client.presence(this.id, this.closing.signal);
      this.online.clear();
      for (const u of online) this.online.add(u);
      this.emitPresence();
    } catch {
      // the next snapshot will do
    }
  }

  /** Names and avatars for presence and typing: the member list, once (again when someone new shows up). */
  private loadMembers(again = false): void {
    if (this.membersLoaded && !again) return;
    this.membersLoaded = this.connection.client
      .members(this.id, this.closing.signal)
      .then((list) => {
        for (const m of list) if (!this.members.has(m.user_id)) this.members.set(m.user_id, { user_id: m.user_id, username: m.username, avatar: m.avatar });
        if (this.online.size > 0) this.emitPresence();
      })
      .catch(() => {
        this.membersLoaded = null;
      });
  }

  private remember(m: MessageView): void {
    if (m.type === 'text') this.members.set(m.user_id, { user_id: m.user_id, username: m.username, avatar: m.avatar });
  }

  private person(userId: string): Person {
    return this.members.get(userId) ?? { user_id: userId, username: userId, avatar: defaultAvatar(userId) };
  }

  private emitPresence(): void {
    this.emit('presence', { online: this.presence });
  }

  private refuse(err: ApiError): void {
    this.emit('error', err);
    this.end('refused', err.message);
  }

  private end(state: 'closed' | 'refused', reason?: string): void {
    this.transport = null;
    clearTimeout(this.retryTimer);
    this.closing.abort(new ApiError(0, 'closed', 'the room was closed'));
    this.connection.forget(this);
    this.setState(state, reason);
  }

  private setState(state: RoomState, reason?: string): void {
    if (state === this.state) return;
    this.state = state;
    this.emit('state', reason === undefined ? { state } : { state, reason });
  }
}
