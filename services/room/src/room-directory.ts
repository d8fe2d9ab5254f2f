import { type AggregateRepository, type NatsConnection, nuid, type Snapshot, type Subscription } from '@chat/bus';
import type { RoomEvent, Subjects } from '@chat/contracts';
import type { RoomState } from './domain/room.ts';

/** How long this copy trusts what it knows of a room without asking the log again. */
export const MEMBERSHIP_STALE_MS = 1000;

/**
 * Membership kept in memory, so a post costs one JetStream round trip (its append) instead of two.
 *
 * What this copy knows of a room is trusted while it is fresh: verified against the log less than
 * `staleMs` ago, and not invalidated since. A copy that appended a room event says so on the
 * room's notice subject (`s.notices`, outside the stream: nothing subscribes to the event
 * subjects, see `subjects`), and every other copy drops its entry at once; should that notice be
 * lost (a crash right after the append, a reconnect), the entry goes stale by itself after `staleMs`. So a post through any copy
 * after an acked leave is refused within `staleMs` at the very latest (usually at once), and a
 * "not a member" is never trusted: it is checked against the log before a post is refused, so a
 * post right after an acked join, through any copy, is always admitted.
 */
export class RoomDirectory {
  private readonly staleMs: number;
  private readonly clock: () => number;
  private readonly verifiedAt = new Map<string, number>();
  private readonly sub: Subscription | null = null;
  /** Who sent a notice: a copy ignores its own. */
  private readonly copyId = nuid.next();

  constructor(
    private readonly rooms: AggregateRepository<RoomState, RoomEvent>,
    private readonly nc: NatsConnection,
    private readonly s: Subjects,
    opts: { staleMs?: number; clock?: () => number; invalidate?: boolean } = {},
  ) {
    this.staleMs = opts.staleMs ?? MEMBERSHIP_STALE_MS;
    this.clock = opts.clock ?? Date.now;
    // Tests turn the notices off to show the time bound holds without them.
    if (opts.invalidate === false) return;
    const prefix = s.notices.allRooms.slice(0, -1);
    this.sub = nc.subscribe(s.notices.allRooms, {
      callback: (_err, msg) => {
        if (msg.string() !== this.copyId) this.verifiedAt.delete(msg.subject.slice(prefix.length));
      },
    });
  }

  /** The room as the log says now (one look-up of its last sequence, more only if it changed). */
  async load(roomId: string): Promise<Snapshot<RoomState>> {
    const started = this.clock();
    const snapshot = await this.rooms.load(roomId);
    this.verifiedAt.set(roomId, started);
    this.trim();
    return snapshot;
  }

  /** Remembers what this copy just appended (the newest state there is) and tells the other copies. */
  appended(roomId: string, at: number): void {
    this.verifiedAt.set(roomId, at);
    this.nc.publish(this.s.notices.room(roomId), this.copyId);
  }

  /**
   * The room to decide a post against: from memory when it is fresh and says the user is a member,
   * from the log otherwise (a "not a member" is always checked there first).
   */
  async forPost(roomId: string, userId: string): Promise<RoomState> {
    return (await this.snapshotForPost(roomId, userId)).state;
  }

  /** As `forPost`, with the sequence of the room's last event the answer rests on. */
  async snapshotForPost(roomId: string, userId: string): Promise<Snapshot<RoomState>> {
    const cached = this.rooms.peek(roomId);
    const at = this.verifiedAt.get(roomId);
    if (cached && at !== undefined && this.clock() - at < this.staleMs && cached.state.status === 'open' && cached.state.members.has(userId)) {
      return cached;
    }
    return this.load(roomId);
  }

  close(): void {
    this.sub?.unsubscribe();
  }

  private trim(): void {
    if (this.verifiedAt.size <= 50_000) return;
    for (const [room, at] of this.verifiedAt) if (this.clock() - at >= this.staleMs) this.verifiedAt.delete(room);
  }
}
