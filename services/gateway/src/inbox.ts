import type { InboxFrame, MessageView } from '@chat/contracts';
import type { Logger } from '@chat/runtime';
import type { InvitationFrame } from './live/frames.ts';

/** Where inbox frames go: a user's multiplexed sockets on this gateway. */
export interface InboxSink<S> {
  send(socket: S, frame: InboxFrame): void;
  /** A socket subscribed to the room gets its timeline itself: no `room_activity` for it. */
  follows(socket: S, roomId: string): boolean;
}

interface Inboxed<S> {
  sockets: Set<S>;
  rooms: Set<string>;
  /** Membership changes seen while the user's rooms were loading, applied over what the load says. */
  pending: Map<string, boolean> | null;
}

/**
 * What a user's devices hear about all of their rooms, subscribed or not: a sidebar of "my rooms"
 * moves a room up on `room_activity` (and counts it unread unless the message is the user's own)
 * and follows `read_marker` from any of the user's devices. Holds, for each user with a
 * multiplexed socket here, the ids of their rooms (loaded once when their first socket opens, then
 * kept current by the membership events the feed reads) and, per room, who of them is in it.
 */
/** The most activity kept for users whose rooms are still loading (a load takes milliseconds). */
const EARLY_MAX = 10_000;

export class Inbox<S> {
  private readonly users = new Map<string, Inboxed<S>>();
  private readonly usersIn = new Map<string, Set<string>>();
  /**
   * Activity seen while some user's rooms were loading: it may be in one of their rooms, which
   * the inbox cannot tell yet. Handed to them once the load says which rooms are theirs.
   */
  private early: { roomId: string; frame: InboxFrame }[] = [];
  private loading = 0;

  constructor(
    private readonly loadRooms: (userId: string) => Promise<string[]>,
    private readonly sink: InboxSink<S>,
    private readonly log: Logger,
  ) {}

  /** Whether anyone here follows the room's activity. */
  follows(roomId: string): boolean {
    return this.usersIn.has(roomId);
  }

  /** Whether the user has a multiplexed socket here (their read markers and joins matter). */
  has(userId: string): boolean {
    return this.users.has(userId);
  }

  get empty(): boolean {
    return this.users.size === 0;
  }

  attach(userId: string, socket: S): void {
    const known = this.users.get(userId);
    if (known) {
      known.sockets.add(socket);
      return;
    }
    const entry: Inboxed<S> = { sockets: new Set([socket]), rooms: new Set(), pending: new Map() };
    this.users.set(userId, entry);
    this.loading++;
    const earlyFrom = this.early.length;
    this.loadRooms(userId)
      .then(
        (roomIds) => {
          if (this.users.get(userId) !== entry) return;
          const changes = entry.pending ?? new Map();
          entry.pending = null;
          // Joins seen meanwhile are in already (their activity went out live); a leave seen
          // meanwhile wins over a load that predates it.
          const loaded = new Set(roomIds.filter((roomId) => changes.get(roomId) !== false && !entry.rooms.has(roomId)));
          for (const { roomId, frame } of this.early.slice(earlyFrom)) if (loaded.has(roomId)) this.toSockets(entry, roomId, frame);
          for (const roomId of loaded) this.enter(userId, entry, roomId);
        },
        (err: unknown) => {
          // Live frames of the rooms the socket subscribes to still flow; only the sidebar's are missing.
          this.log.warn({ err, userId }, 'could not load the rooms of a user; their inbox follows joins from now on');
          if (this.users.get(userId) === entry) entry.pending = null;
        },
      )
      .finally(() => {
        if (--this.loading === 0) this.early = [];
      });
  }

  detach(userId: string, socket: S): void {
    const entry = this.users.get(userId);
    if (!entry) return;
    entry.sockets.delete(socket);
    if (entry.sockets.size > 0) return;
    this.users.delete(userId);
    for (const roomId of entry.rooms) this.leaveIndex(userId, roomId);
  }

  /** A membership event of a user who may have sockets here. */
  membership(roomId: string, userId: string, member: boolean): void {
    const entry = this.users.get(userId);
    if (!entry) return;
    entry.pending?.set(roomId, member);
    if (member) this.enter(userId, entry, roomId);
    else {
      entry.rooms.delete(roomId);
      this.leaveIndex(userId, roomId);
    }
  }

  /** A new line in a room's timeline: every member with a socket here hears of it. */
  activity(roomId: string, message: MessageView, seq: number): void {
    const frame: InboxFrame = { type: 'room_activity', room_id: roomId, message, seq };
    for (const userId of this.usersIn.get(roomId) ?? []) this.toSockets(this.users.get(userId), roomId, frame);
    if (this.loading > 0 && this.early.length < EARLY_MAX) this.early.push({ roomId, frame });
  }

  private toSockets(entry: Inboxed<S> | undefined, roomId: string, frame: InboxFrame): void {
    for (const socket of entry?.sockets ?? []) if (!this.sink.follows(socket, roomId)) this.sink.send(socket, frame);
  }

  /** Every device of the user hears where they have read to. */
  readMarker(userId: string, roomId: string, seq: number): void {
    this.toUser(userId, { type: 'read_marker', room_id: roomId, seq });
  }

  /** An invitation of the user, made or declined: every device of theirs hears of it. */
  invitation(userId: string, frame: InvitationFrame): void {
    this.toUser(userId, frame);
  }

  private toUser(userId: string, frame: InboxFrame): void {
    for (const socket of this.users.get(userId)?.sockets ?? []) this.sink.send(socket, frame);
  }

  private enter(userId: string, entry: Inboxed<S>, roomId: string): void {
    entry.rooms.add(roomId);
    const users = this.usersIn.get(roomId) ?? new Set<string>();
    users.add(userId);
    this.usersIn.set(roomId, users);
  }

  private leaveIndex(userId: string, roomId: string): void {
    const users = this.usersIn.get(roomId);
    users?.delete(userId);
    if (users?.size === 0) this.usersIn.delete(roomId);
  }
}
