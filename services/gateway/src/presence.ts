import { PRESENCE_LEASE_MS, watchBucket, type BucketWatch, type KV, type NatsConnection } from '@chat/bus';
import type { Logger } from '@chat/runtime';

export interface PresenceChange {
  joined: string[];
  left: string[];
  seq: number;
}

interface RoomView {
  /** Lease key → its user and when this gateway last saw it renewed. */
  leases: Map<string, { user: string; at: number }>;
  /** Live leases per user, kept as leases come and go, so a change costs O(1), not O(room). */
  counts: Map<string, number>;
  /** Users whose count went to or from zero since the last recompute. */
  dirty: Set<string>;
  online: Set<string>;
  seq: number;
  watcher: BucketWatch | null;
  ready: Promise<void>;
}

const RENEW_EVERY_MS = PRESENCE_LEASE_MS / 3;
const SWEEP_EVERY_MS = 1000;
const RENEW_IN_FLIGHT = 64;

export const leaseKey = (roomId: string, userId: string, connectionId: string) => `${roomId}.${userId}.${connectionId}`;

/**
 * Presence as leases in a JetStream KV bucket: each socket holds a key, renewed while it is open
 * and deleted when it closes. Every gateway watches the rooms its sockets are in and ages out keys
 * that stop being renewed (NATS 2.9 sends no event when a key expires), so a crashed gateway's
 * users disappear within one lease, on every other gateway alike. Tabs are aggregated per user.
 */
export class PresenceTracker {
  private readonly rooms = new Map<string, RoomView>();
  private readonly mine = new Map<string, string>(); // lease key → room id
  private readonly timers: NodeJS.Timeout[] = [];
  private renewing = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly bucket: string,
    private readonly log: Logger,
    private readonly emit: (roomId: string, change: PresenceChange) => void,
    private readonly leaseMs = PRESENCE_LEASE_MS,
  ) {
    this.timers.push(setInterval(() => void this.renew(), RENEW_EVERY_MS).unref());
    this.timers.push(setInterval(() => this.sweep(Date.now()), SWEEP_EVERY_MS).unref());
  }

  /**
   * Takes a lease for one socket and hands `onSnapshot` the room's state, this user included. It
   * is called synchronously with the state it describes, so the socket can start taking diffs
   * from exactly the next seq.
   */
  async connect(roomId: string, userId: string, connectionId: string, onSnapshot: (snapshot: { online: string[]; seq: number }) => void): Promise<void> {
    const key = leaseKey(roomId, userId, connectionId);
    this.mine.set(key, roomId);
    await this.kv.put(key, '');
    const room = this.watch(roomId);
    await room.ready;
    setLease(room, key, { user: userId, at: Date.now() });
    this.recompute(roomId, room);
    onSnapshot({ online: [...room.online].sort(), seq: room.seq });
  }

  async disconnect(roomId: string, userId: string, connectionId: string): Promise<void> {
    const key = leaseKey(roomId, userId, connectionId);
    this.mine.delete(key);
    await this.kv.delete(key).catch((err: unknown) => this.log.warn({ err }, 'presence lease delete failed'));
  }

  /** Stops following a room once this gateway has no socket in it. */
  forget(roomId: string): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    room.watcher?.stop();
    this.rooms.delete(roomId);
  }

  seq(roomId: string): number {
    return this.rooms.get(roomId)?.seq ?? 0;
  }

  online(roomId: string): string[] | undefined {
    const room = this.rooms.get(roomId);
    return room ? [...room.online].sort() : undefined;
  }

  /** Who is online in a room this gateway does not follow: a one-off read of the bucket. */
  async read(roomId: string): Promise<string[]> {
    const now = Date.now();
    const users = new Set<string>();
    const watch = await watchBucket(this.nc, this.bucket, `${roomId}.>`, (e) => {
      if (e.initial && e.operation === 'PUT' && now - e.created.getTime() < this.leaseMs) users.add(e.key.split('.')[1]!);
    });
    await watch.ready;
    watch.stop();
    return [...users].sort();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await Promise.all([...this.mine.keys()].map((key) => this.kv.delete(key).catch(() => undefined)));
    this.mine.clear();
    for (const roomId of [...this.rooms.keys()]) this.forget(roomId);
  }

  private watch(roomId: string): RoomView {
    let room = this.rooms.get(roomId);
    if (room) return room;
    let initialized!: () => void;
    const ready = new Promise<void>((r) => (initialized = r));
    const view: RoomView = { leases: new Map(), counts: new Map(), dirty: new Set(), online: new Set(), seq: 0, watcher: null, ready };
    room = view;
    this.rooms.set(roomId, view);
    void watchBucket(this.nc, this.bucket, `${roomId}.>`, (entry) => {
      const [, user] = entry.key.split('.');
      if (!user) return;
      if (entry.operation === 'PUT') {
        // A key from before this watch may belong to a crashed gateway: date it by the server.
        setLease(view, entry.key, { user, at: entry.initial ? entry.created.getTime() : Date.now() });
      } else {
        dropLease(view, entry.key);
      }
      if (!entry.initial) this.recompute(roomId, view);
    })
      .then(async (watch) => {
        view.watcher = watch;
        // Stopped while the watch was being set up.
        if (this.rooms.get(roomId) !== view) watch.stop();
        await watch.ready;
        initialized();
      })
      .catch((err: unknown) => {
        this.log.warn({ err, roomId }, 'presence watch failed');
        initialized();
      });
    return view;
  }

  private recompute(roomId: string, room: RoomView): void {
    if (room.dirty.size === 0) return;
    const joined: string[] = [];
    const left: string[] = [];
    for (const user of room.dirty) {
      const here = room.counts.has(user);
      if (here && !room.online.has(user)) {
        room.online.add(user);
        joined.push(user);
      } else if (!here && room.online.delete(user)) {
        left.push(user);
      }
    }
    room.dirty.clear();
    joined.sort();
    left.sort();
    if (joined.length === 0 && left.length === 0) return;
    room.seq++;
    this.emit(roomId, { joined, left, seq: room.seq });
  }

  private sweep(now: number): void {
    for (const [roomId, room] of this.rooms) {
      let changed = false;
      for (const [key, lease] of room.leases) {
        if (now - lease.at > this.leaseMs && !this.mine.has(key)) {
          dropLease(room, key);
          changed = true;
        }
      }
      if (changed) this.recompute(roomId, room);
    }
  }

  /**
   * Renews every lease this gateway holds, a bounded number of puts in flight: one at a time, ten
   * thousand sockets took longer than a renewal period, so rounds overlapped and leases neared
   * expiry. A round still running when the next is due is not doubled.
   */
  private async renew(): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    try {
      const keys = [...this.mine.keys()];
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(RENEW_IN_FLIGHT, keys.length) }, async () => {
          while (next < keys.length) {
            const key = keys[next++]!;
            if (!this.mine.has(key)) continue;
            await this.kv.put(key, '').catch((err: unknown) => this.log.warn({ err }, 'presence lease renewal failed'));
          }
        }),
      );
    } finally {
      this.renewing = false;
    }
  }
}

function setLease(room: RoomView, key: string, lease: { user: string; at: number }): void {
  const previous = room.leases.get(key);
  room.leases.set(key, lease);
  if (previous?.user === lease.user) return;
  if (previous) countDown(room, previous.user);
  const n = (room.counts.get(lease.user) ?? 0) + 1;
  room.counts.set(lease.user, n);
  if (n === 1) room.dirty.add(lease.user);
}

function dropLease(room: RoomView, key: string): void {
  const previous = room.leases.get(key);
  if (!previous) return;
  room.leases.delete(key);
  countDown(room, previous.user);
}

function countDown(room: RoomView, user: string): void {
  const n = (room.counts.get(user) ?? 1) - 1;
  if (n > 0) {
    room.counts.set(user, n);
    return;
  }
  room.counts.delete(user);
  room.dirty.add(user);
}
