import type { NatsConnection, Subscription } from '@chat/bus';
import { CloseCode, type LiveFrame, type ServerFrame, type Subjects, TypingSignal, type ReplayFrame } from '@chat/contracts';
import type { Logger } from '@chat/runtime';
import type { SocketData } from './sockets.ts';
import type { TemplatedApp, WebSocket } from './uws.ts';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export const roomTopic = (roomId: string): string => `room/${roomId}`;

/** Backpressure bounds per socket (bytes waiting to be written to it). */
export const BUFFER_LIMITS = {
  /** Past this, ephemeral frames (typing, presence) are dropped or merged; a replay waits to drain. */
  ephemeral: 64 * 1024,
  /** Past this, the socket is closed with 1013 and resumes from its cursor. */
  resumable: 512 * 1024,
  /** uWS's own hard stop, should a flood outrun the check (which runs every 100 ms). */
  hard: 4 * 1024 * 1024,
};

/** How long a socket closed for falling behind may take to read its close frame. */
const CLOSE_GRACE_MS = 30_000;

/** Events of a room kept in memory for sockets that resume or replay: the latest this many. */
export const RECENT_EVENTS = 256;
/** Timeline entries read from the read models when a room is first held, so a storm of resumes is one read. */
export const PREFILL_ENTRIES = 100;

/** How long a replay waits for the feed to reach a cursor ahead of it (see `replay`). */
export const CATCH_UP_MS = 2000;
/**
 * The longest a replay may take: a socket that reads slower than its rooms fill never catches up,
 * and is closed as too slow (1013) to resume from its cursor, as a live one falling behind is.
 */
export const REPLAY_MAX_MS = 60_000;

/** The longest pause between look-ups of a held room's members while they fail. */
const MEMBERS_RETRY_MAX_MS = 5000;

/** Rooms whose last event seq is remembered for read-your-writes, held or not. */
const HEADS_CAPACITY = 100_000;

type Socket = WebSocket<SocketData>;

/** One event's frames for a room, serialised once. */
interface Recent {
  seq: number;
  raws: string[];
  /** A new message is among them (what a long-poll waits for). */
  message?: boolean;
}

interface Room {
  /** Sockets following the room. */
  sockets: Set<Socket>;
  typing: Subscription;
  /** Long-poll requests waiting for a change (or a message) after a seq. */
  waiters: Set<(seq: number, message: boolean) => void>;
  holds: number;
  /** The room's latest events, complete after `recentFrom` (every event of the room past it is here). */
  recent: Recent[];
  recentFrom: number;
  /** Seq of the last event delivered: a repeat is dropped. */
  lastSeq: number;
  /** Members, as the room service said at `membersSeq` and the feed has said since; null until known. */
  members: Set<string> | null;
  membersSeq: number;
  /** Settles once the members are known, or the first look-ups failed (one look-up for every socket that asks). */
  membersLoaded: Promise<ReadonlySet<string> | null>;
  /** Settles once the members are known (null: the room was let go first). */
  membersKnown: Promise<ReadonlySet<string> | null>;
  settleKnown: (members: ReadonlySet<string> | null) => void;
  /** Membership changes seen while the members were being loaded. */
  early: { seq: number; joined?: string; left?: string }[];
  /** Presence frames sent for the room on this gateway. */
  presenceSeq: number;
  /** Settles once the room's latest entries from the read models are in `recent` (or could not be). */
  prefilled: Promise<void>;
}

export interface HubDeps {
  /** Where the live feed is: every event up to it has been handed to `deliver`. */
  feedPosition: () => number;
  /** The room's members as the log says now (the room service asked). */
  loadMembers: (roomId: string) => Promise<{ members: string[]; seq: number }>;
  /** The room's latest timeline entries from the read models, complete after `from`, once they hold `minPosition`. */
  loadRecent: (roomId: string, minPosition: number) => Promise<{ from: number; frames: ReplayFrame[] }>;
  /** Whether a user is online (for presence diffs when membership changes). */
  isOnline: (userId: string) => boolean;
  /** A user left a room: their sockets there stop following it. */
  evict: (ws: Socket, roomId: string) => void;
  onSlowSocket?: (() => void) | undefined;
  onDelivered?: ((frames: number) => void) | undefined;
}

export interface RoomChange {
  joined?: string | undefined;
  left?: string | undefined;
}

/**
 * One gateway's rooms: those with a socket or a long-poll here, with their latest events in
 * memory and their members, and delivery to sockets. The live feed hands every event of a held
 * room in log order to `deliver`; chat frames go out through one uWS topic per room (written once,
 * sent natively to every socket); ephemeral frames go socket by socket so that a socket that is
 * behind can be skipped; and a socket too far behind is closed to resume, never silently left with
 * a hole.
 */
export class RoomHub {
  private readonly rooms = new Map<string, Room>();
  private readonly heads = new Map<string, number>();
  private profileHead = 0;
  private readonly scan: NodeJS.Timeout;

  private readonly all = new Set<Socket>();

  constructor(
    private readonly app: TemplatedApp,
    private readonly nc: NatsConnection,
    private readonly s: Subjects,
    private readonly log: Logger,
    readonly gatewayId: string,
    private readonly deps: HubDeps,
  ) {
    this.scan = setInterval(() => this.closeSlowSockets(), 100).unref();
  }

  private feedPosition(): number {
    return this.deps.feedPosition();
  }

  /**
   * Keeps a room here while held; call `release` once for every `hold`. From the moment it is held,
   * every later event of the room reaches it: nothing falls between a hold and live delivery.
   */
  hold(roomId: string): void {
    let room = this.rooms.get(roomId);
    if (!room) {
      const position = this.feedPosition();
      const created: Room = {
        sockets: new Set(),
        typing: this.nc.subscribe(this.s.live.typing(roomId), { callback: (err, msg) => (err ? undefined : this.onTyping(roomId, msg.data)) }),
        waiters: new Set(),
        holds: 0,
        recent: [],
        recentFrom: position,
        lastSeq: position,
        members: null,
        membersSeq: 0,
        membersLoaded: Promise.resolve(null),
        membersKnown: Promise.resolve(null),
        settleKnown: () => undefined,
        early: [],
        presenceSeq: 0,
        prefilled: Promise.resolve(),
      };
      created.membersKnown = new Promise((settle) => (created.settleKnown = settle));
      created.membersLoaded = this.fetchMembers(roomId, created);
      created.prefilled = this.prefill(roomId, created, position);
      room = created;
      this.rooms.set(roomId, room);
    }
    room.holds++;
  }

  release(roomId: string): void {
    const room = this.rooms.get(roomId);
    if (!room || --room.holds > 0) return;
    room.typing.unsubscribe();
    room.settleKnown(null);
    this.rooms.delete(roomId);
  }

  holds(roomId: string): boolean {
    return this.rooms.has(roomId);
  }

  add(ws: Socket, roomId: string): void {
    this.rooms.get(roomId)?.sockets.add(ws);
    this.all.add(ws);
  }

  remove(ws: Socket, roomId: string): void {
    this.rooms.get(roomId)?.sockets.delete(ws);
    if (ws.getUserData().subs.size === 0) this.all.delete(ws);
  }

  sockets(roomId: string): ReadonlySet<Socket> {
    return this.rooms.get(roomId)?.sockets ?? new Set();
  }

  /** A cursor for a socket that starts live: every event of the room after it will reach the socket. */
  cursor(roomId: string): number {
    return this.rooms.get(roomId)?.lastSeq ?? this.feedPosition();
  }

  /**
   * The seq of a room's last event as far as this gateway knows (its live feed, its own writes), or
   * the feed's position for a room it has not seen lately: what a read of that room must reflect.
   */
  head(roomId: string): number {
    // A profile change shows in every room's history: reads wait for the latest one too.
    return Math.max(this.heads.get(roomId) ?? this.feedPosition(), this.profileHead);
  }

  /** A profile event at `seq` (from the feed, or a change through this gateway). */
  noteProfile(seq: number): void {
    this.profileHead = Math.max(this.profileHead, seq);
  }

  /** Records that the room has an event at `seq` (from the feed, or a write through this gateway). */
  noteEvent(roomId: string, seq: number): void {
    const current = this.heads.get(roomId);
    if (current !== undefined && current >= seq) return;
    this.heads.delete(roomId);
    this.heads.set(roomId, seq);
    if (this.heads.size > HEADS_CAPACITY) {
      const oldest = this.heads.keys().next();
      if (!oldest.done) this.heads.delete(oldest.value);
    }
  }

  /** The members of a held room, once known. */
  members(roomId: string): ReadonlySet<string> | null {
    return this.rooms.get(roomId)?.members ?? null;
  }

  /** The members of a held room, waiting for the one look-up if it is under way (null: not held, or unknown). */
  membersReady(roomId: string): Promise<ReadonlySet<string> | null> {
    return this.rooms.get(roomId)?.membersLoaded ?? Promise.resolve(null);
  }

  /** Whether this gateway knows the room's members as of a later event than `seq`, and the user is not among them. */
  leftAfter(roomId: string, userId: string, seq: number): boolean {
    const room = this.rooms.get(roomId);
    return !!room?.members && room.membersSeq > seq && !room.members.has(userId);
  }

  /** The members of a held room once they are known, however long the look-up takes (null: the room was let go first). */
  membersKnown(roomId: string): Promise<ReadonlySet<string> | null> {
    return this.rooms.get(roomId)?.membersKnown ?? Promise.resolve(null);
  }

  presenceSeq(roomId: string): number {
    return this.rooms.get(roomId)?.presenceSeq ?? 0;
  }

  /** A user went online or offline: a diff to each held room they are a member of. */
  presenceChanged(userId: string, online: boolean): void {
    for (const [roomId, room] of this.rooms) {
      if (room.members?.has(userId)) this.sendPresence(roomId, room, online ? { joined: [userId], left: [] } : { joined: [], left: [userId] });
    }
  }

  /**
   * Held rooms a change of the user's profile shows in: those they are a member of, and those whose
   * members are not known yet. Sent there too rather than lost: a client applies it to that user's
   * lines only, and a resume served from the room's latest events must not miss it.
   */
  roomsOf(userId: string): string[] {
    const found: string[] = [];
    for (const [roomId, room] of this.rooms) if (!room.members || room.members.has(userId)) found.push(roomId);
    return found;
  }

  /** An event's frames for a held room, in log order. */
  deliver(roomId: string, seq: number, frames: LiveFrame[], change: RoomChange = {}): void {
    const room = this.rooms.get(roomId);
    if (!room || seq <= room.lastSeq) return;
    room.lastSeq = seq;
    this.applyMembership(roomId, room, seq, change);
    const raws = frames.map((f) => JSON.stringify(f));
    room.recent.push({ seq, raws, message: frames.some((f) => f.type === 'message') });
    if (room.recent.length > RECENT_EVENTS) room.recentFrom = room.recent.shift()!.seq;
    for (const raw of raws) this.app.publish(roomTopic(roomId), raw, false, false);
    this.deps.onDelivered?.(raws.length * room.sockets.size);
    const message = frames.some((f) => f.type === 'message');
    for (const waiter of room.waiters) waiter(seq, message);
    if (change.left) {
      // Leaving ends the user's live view of the room at once, on every gateway.
      for (const ws of [...room.sockets]) if (ws.getUserData().userId === change.left) this.deps.evict(ws, roomId);
    }
  }

  /**
   * Brings a socket from `since` up to live: the room's changes after it, from the read models
   * (`page`, which waits until they hold at least what is in memory) as far as the events in
   * memory do not reach, then from memory, then the topic, in one go with nothing between.
   * Returns the cursor it ended at, or null when the socket went away or a newer replay took over.
   */
  async replay(
    ws: Socket,
    roomId: string,
    since: number,
    page: (after: number, minPosition: number) => Promise<ReplayFrame[]>,
    opts: { pageSize: number; current: () => boolean; drained: () => Promise<void> },
  ): Promise<number | null> {
    ws.unsubscribe(roomTopic(roomId));
    let cursor = since;
    const started = Date.now();
    const catchUpUntil = started + CATCH_UP_MS;
    const giveUpAt = started + REPLAY_MAX_MS;
    // Sockets resuming in a room just held here wait for its one read of the latest entries.
    await this.rooms.get(roomId)?.prefilled;
    // Each piece goes into the socket's buffer only up to the bound, counting what is there already
    // (measured as the piece is written, with nothing awaited between): replays of several rooms on
    // one socket share it, and together could pass the bound that closes a socket as too slow.
    const space = () => BUFFER_LIMITS.ephemeral - ws.getBufferedAmount();
    // Waits for the socket to have room; false to stop.
    const roomInBuffer = async (): Promise<boolean> => {
      for (;;) {
        if (!opts.current()) return false;
        if (Date.now() >= giveUpAt) {
          this.closeAsSlow(ws);
          return false;
        }
        if (space() > 0) return true;
        await this.drainedOrUntil(opts.drained(), giveUpAt);
      }
    };
    for (;;) {
      if (!(await roomInBuffer())) return null;
      const room = this.rooms.get(roomId);
      if (!room) return null;
      if (cursor >= room.recentFrom) {
        // A cursor past this gateway's feed (the client saw more through another gateway): the
        // feed hands over the events up to it in a moment, and subscribed before that, the socket
        // would get them again. A cursor the feed has not reached by then is not one the log gave.
        if (cursor > this.feedPosition() && Date.now() < catchUpUntil) {
          await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        // A piece at a time, corked: one write, not one system call a frame. Events arriving
        // meanwhile join the memory, for a later piece; the topic once memory is all sent.
        let live = true;
        let budget = space();
        ws.cork(() => {
          for (const recent of room.recent) {
            if (recent.seq <= cursor) continue;
            if (budget <= 0) {
              live = false;
              break;
            }
            for (const raw of recent.raws) {
              ws.send(raw);
              budget -= Buffer.byteLength(raw);
            }
            cursor = recent.seq;
          }
          if (live) ws.subscribe(roomTopic(roomId));
        });
        if (live) return cursor;
        continue;
      }
      // The read models must hold everything up to where memory starts.
      const upTo = room.recentFrom;
      const frames = await page(cursor, upTo);
      // The page goes in pieces too. The read models may be ahead of the feed: what it has not
      // handed over yet reaches the socket through the topic once subscribed, so not from the page.
      let next = 0;
      let pastFeed = false;
      while (next < frames.length && !pastFeed) {
        if (!(await roomInBuffer())) return null;
        let budget = space();
        const fed = this.feedPosition();
        ws.cork(() => {
          for (; next < frames.length && budget > 0; next++) {
            const frame = frames[next]!;
            if (frame.seq > fed) {
              pastFeed = true;
              break;
            }
            const raw = JSON.stringify(frame);
            ws.send(raw);
            budget -= Buffer.byteLength(raw);
            cursor = frame.seq;
          }
        });
      }
      // A short page, or one reaching past the feed: the read models have nothing more for this
      // room up to `upTo`.
      if (pastFeed || frames.length < opts.pageSize) cursor = Math.max(cursor, upTo);
    }
  }

  /** Resolves once the socket has drained, or at `until`, whichever is first. */
  private async drainedOrUntil(drained: Promise<void>, until: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, until - Date.now()))))]);
    clearTimeout(timer);
  }

  /** Waits for a message newer than `after` in a held room, up to `timeoutMs`. */
  waitForMessage(roomId: string, after: number, timeoutMs: number, abort: AbortSignal): Promise<boolean> {
    return this.waitFor(roomId, after, timeoutMs, abort, true);
  }

  /** Waits for any change (a message, an edit, a profile change, a join…) newer than `after` in a held room, up to `timeoutMs`. */
  waitForChange(roomId: string, after: number, timeoutMs: number, abort: AbortSignal): Promise<boolean> {
    return this.waitFor(roomId, after, timeoutMs, abort, false);
  }

  private waitFor(roomId: string, after: number, timeoutMs: number, abort: AbortSignal, messagesOnly: boolean): Promise<boolean> {
    const room = this.rooms.get(roomId);
    if (!room) return Promise.resolve(false);
    // One that came while the caller was reading its page (which the read model did not show yet)
    // has already passed the waiters: without this, the poll would wait its whole time for it.
    if (room.recent.some((e) => (e.message || !messagesOnly) && e.seq > after)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (arrived: boolean) => {
        room.waiters.delete(waiter);
        clearTimeout(timer);
        abort.removeEventListener('abort', onAbort);
        resolve(arrived);
      };
      const waiter = (seq: number, message: boolean) => (message || !messagesOnly) && seq > after && done(true);
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      room.waiters.add(waiter);
      abort.addEventListener('abort', onAbort);
    });
  }

  /** Sends an ephemeral frame to a room's sockets that can take it; returns the ones skipped. */
  sendEphemeral(roomId: string, frame: ServerFrame, skip?: (ws: Socket) => boolean): Socket[] {
    const raw = JSON.stringify(frame);
    const skipped: Socket[] = [];
    for (const ws of this.sockets(roomId)) {
      if (skip?.(ws) || ws.getUserData().closing) continue;
      if (ws.getBufferedAmount() > BUFFER_LIMITS.ephemeral) skipped.push(ws);
      else ws.send(raw);
    }
    return skipped;
  }

  publishTyping(roomId: string, userId: string): void {
    this.nc.publish(this.s.live.typing(roomId), encoder.encode(JSON.stringify({ user_id: userId, gateway: this.gatewayId })));
  }

  close(): void {
    clearInterval(this.scan);
    for (const room of this.rooms.values()) room.typing.unsubscribe();
    this.rooms.clear();
  }

  /**
   * Puts the room's latest entries from the read models before what the feed has delivered since
   * the hold (`position`), so resumes from a cursor among them need no read of their own: after a
   * gateway restart, thousands of sockets resuming in one room cost one read, not thousands.
   */
  private async prefill(roomId: string, room: Room, position: number): Promise<void> {
    let recent: { from: number; frames: ReplayFrame[] };
    try {
      recent = await this.deps.loadRecent(roomId, position);
    } catch (err) {
      this.log.warn({ err, roomId }, 'latest entries unavailable; resumes read them one by one');
      return;
    }
    // Only if nothing was pushed out meanwhile: the entries must join what came after them.
    if (this.rooms.get(roomId) !== room || room.recentFrom !== position || recent.from >= position) return;
    const before: Recent[] = [];
    for (const f of recent.frames) {
      if (f.seq > position) break;
      const last = before[before.length - 1];
      if (last?.seq === f.seq) {
        last.raws.push(JSON.stringify(f));
        last.message ||= f.type === 'message';
      } else before.push({ seq: f.seq, raws: [JSON.stringify(f)], message: f.type === 'message' });
    }
    room.recent = [...before, ...room.recent];
    room.recentFrom = recent.from;
    while (room.recent.length > RECENT_EVENTS) room.recentFrom = room.recent.shift()!.seq;
  }

  /**
   * Looks the room's members up, again and again while the room is held until they are known
   * (until then, no presence diffs reach the room, and every profile change does). The promise settles after the
   * first three attempts (null if they failed: admission asks the room service itself then);
   * `membersKnown` once they are known.
   */
  private fetchMembers(roomId: string, room: Room): Promise<ReadonlySet<string> | null> {
    return new Promise((settle) => {
      void (async () => {
        for (let attempt = 0; attempt === 0 || this.rooms.get(roomId) === room; attempt++) {
          try {
            const { members, seq } = await this.deps.loadMembers(roomId);
            room.members = new Set(members);
            room.membersSeq = seq;
            for (const change of room.early) if (change.seq > seq) this.applyMembership(roomId, room, change.seq, change);
            room.early = [];
            settle(room.members);
            room.settleKnown(room.members);
            return;
          } catch (err) {
            if (attempt === 0) this.log.warn({ err, roomId }, 'room members unavailable; retrying');
            if (attempt === 2) settle(null);
            await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, MEMBERS_RETRY_MAX_MS)));
          }
        }
        settle(null);
      })();
    });
  }

  private applyMembership(roomId: string, room: Room, seq: number, change: RoomChange): void {
    if (!change.joined && !change.left) return;
    if (!room.members) {
      room.early.push({ seq, ...change });
      return;
    }
    if (seq <= room.membersSeq) return;
    room.membersSeq = seq;
    if (change.joined) room.members.add(change.joined);
    if (change.left) room.members.delete(change.left);
    // Presence follows membership: an online user who joins is online in the room from now on.
    const user = change.joined ?? change.left!;
    if (this.deps.isOnline(user)) this.sendPresence(roomId, room, change.joined ? { joined: [user], left: [] } : { joined: [], left: [user] });
  }

  private sendPresence(roomId: string, room: Room, diff: { joined: string[]; left: string[] }): void {
    room.presenceSeq++;
    const skipped = this.sendEphemeral(
      roomId,
      { type: 'presence', room_id: roomId, ...diff, seq: room.presenceSeq },
      (ws) => !ws.getUserData().subs.get(roomId)?.presenceReady,
    );
    for (const ws of skipped) {
      const sub = ws.getUserData().subs.get(roomId);
      if (sub) sub.presenceDirty = true;
    }
  }

  private onTyping(roomId: string, data: Uint8Array): void {
    let signal: ReturnType<typeof TypingSignal.safeParse>;
    try {
      signal = TypingSignal.safeParse(JSON.parse(decoder.decode(data)));
    } catch {
      return;
    }
    if (!signal.success) return;
    const sender = signal.data.user_id;
    // Typing is worth nothing late: a socket that is behind simply misses it.
    this.sendEphemeral(roomId, { type: 'typing', room_id: roomId, user_id: sender }, (ws) => ws.getUserData().userId === sender);
  }

  private closeSlowSockets(): void {
    for (const ws of this.all) {
      if (ws.getBufferedAmount() > BUFFER_LIMITS.resumable) this.closeAsSlow(ws);
    }
  }

  /** Closes a socket that fell behind with 1013: the client resumes from its cursor. */
  private closeAsSlow(ws: Socket): void {
    const data = ws.getUserData();
    if (data.closing || data.closed) return;
    data.closing = true;
    this.deps.onSlowSocket?.();
    for (const roomId of data.subs.keys()) ws.unsubscribe(roomTopic(roomId));
    ws.end(CloseCode.tryAgainLater, 'too far behind: reconnect with since=<cursor>');
    // A reader that never reads never takes the close frame either: cut it after a grace period.
    // Nothing more is written to it meanwhile, so its buffer stays where it is.
    setTimeout(() => {
      if (!data.closed) ws.close();
    }, CLOSE_GRACE_MS).unref();
  }
}
