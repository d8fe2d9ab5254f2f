import { type BucketWatch, type KV, type NatsConnection, PRESENCE_LEASE_MS, watchBucket } from '@chat/bus';
import type { Logger } from '@chat/runtime';

export interface PresenceChange {
  joined: string[];
  left: string[];
}

const RENEW_EVERY_MS = PRESENCE_LEASE_MS / 3;
const SWEEP_EVERY_MS = 1000;
const RENEW_IN_FLIGHT = 64;
/** A long-polling client asks again at once after each answer: it stays online this much longer. */
export const POLL_GRACE_MS = 5000;

/** A lease key: one per user and gateway, however many sockets the user has there. */
export const leaseKey = (userId: string, gatewayId: string) => `${userId}.${gatewayId}`;

/**
 * Who is online, as leases in a JetStream KV bucket: one key per (user, gateway) while the user
 * has any connection on that gateway, renewed while it lasts and deleted when the last one closes.
 * So a lease costs O(1) in sockets: ten tabs are one key. Every gateway follows the whole bucket
 * and ages out keys that stop being renewed (NATS 2.9 says nothing when a key expires), so a
 * crashed gateway's users go offline within one lease, everywhere alike.
 *
 * A user is online in a room while they have any connection (a socket, or a long-poll: see
 * `poll`) and are a member of it: presence follows the person, not the page they look at. Rooms'
 * member sets come from the caller.
 */
export class PresenceTracker {
  /** Users with sockets here (a long-polling user counts as one), and how many. */
  private readonly local = new Map<string, number>();
  /** Users long-polling here: when their presence lapses unless they poll again. */
  private readonly polling = new Map<string, { until: number; lapse: NodeJS.Timeout }>();
  /** Every live lease: key → its user and when it was last seen renewed. */
  private readonly leases = new Map<string, { user: string; at: number }>();
  /** Online users (any gateway) and their lease count. */
  private readonly online = new Map<string, number>();
  private watch: BucketWatch | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private renewing = false;
  private watchHealthy = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly bucket: string,
    private readonly gatewayId: string,
    private readonly log: Logger,
    /** A user went online or offline: the caller tells the rooms they are a member of. */
    private readonly onChange: (userId: string, online: boolean) => void,
    private readonly leaseMs = PRESENCE_LEASE_MS,
  ) {}

  async start(): Promise<void> {
    this.watch = await watchBucket(this.nc, this.bucket, '>', (entry) => {
      const user = entry.key.slice(0, entry.key.indexOf('.'));
      if (!user) return;
      // A key found when the watch started may belong to a crashed gateway: date it by the server.
      if (entry.operation === 'PUT') this.setLease(entry.key, user, entry.initial ? entry.created.getTime() : Date.now(), !entry.initial);
      else this.dropLease(entry.key, true);
    });
    await this.watch.ready;
    this.watchHealthy = true;
    this.timers.push(setInterval(() => void this.renew(), RENEW_EVERY_MS).unref());
    this.timers.push(setInterval(() => this.sweep(Date.now()), SWEEP_EVERY_MS).unref());
  }

  /** Whether presence is being followed (readiness). */
  get healthy(): boolean {
    return this.watchHealthy;
  }

  isOnline(userId: string): boolean {
    return this.online.has(userId);
  }

  /** The members of a room who are online, sorted. */
  onlineAmong(members: Iterable<string>): string[] {
    const found: string[] = [];
    for (const m of members) if (this.online.has(m)) found.push(m);
    return found.sort();
  }

  /** A socket of the user opened here. */
  connect(userId: string): void {
    const n = (this.local.get(userId) ?? 0) + 1;
    this.local.set(userId, n);
    if (n > 1) return;
    const key = leaseKey(userId, this.gatewayId);
    // Online here at once, for this gateway's own rooms; the bucket tells the others.
    this.setLease(key, userId, Date.now(), true);
    void this.kv.put(key, '').catch((err: unknown) => this.log.warn({ err }, 'presence lease failed'));
  }

  /**
   * A user without a socket, long-polling: online as if they had one, for `forMs` from now (the
   * poll's wait and a grace for the next poll to arrive), extended by every poll.
   */
  poll(userId: string, forMs: number, now = Date.now()): void {
    const had = this.polling.get(userId);
    // A shorter poll never cuts a longer one short.
    if (had && had.until >= now + forMs) return;
    if (had) clearTimeout(had.lapse);
    else this.connect(userId);
    const lapse = setTimeout(() => {
      this.polling.delete(userId);
      this.disconnect(userId);
    }, forMs);
    this.polling.set(userId, { until: now + forMs, lapse: lapse.unref() });
  }

  /** A socket of the user closed here. */
  disconnect(userId: string): void {
    const n = (this.local.get(userId) ?? 1) - 1;
    if (n > 0) {
      this.local.set(userId, n);
      return;
    }
    this.local.delete(userId);
    const key = leaseKey(userId, this.gatewayId);
    this.dropLease(key, true);
    void this.kv.delete(key).catch((err: unknown) => this.log.warn({ err }, 'presence lease delete failed'));
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const { lapse } of this.polling.values()) clearTimeout(lapse);
    this.polling.clear();
    this.watch?.stop();
    await Promise.all([...this.local.keys()].map((user) => this.kv.delete(leaseKey(user, this.gatewayId)).catch(() => undefined)));
    this.local.clear();
  }

  private setLease(key: string, user: string, at: number, notify: boolean): void {
    const had = this.leases.get(key);
    this.leases.set(key, { user, at });
    if (had) return;
    const n = (this.online.get(user) ?? 0) + 1;
    this.online.set(user, n);
    if (n === 1 && notify) this.onChange(user, true);
  }

  private dropLease(key: string, notify: boolean): void {
    const had = this.leases.get(key);
    if (!had) return;
    this.leases.delete(key);
    const n = (this.online.get(had.user) ?? 1) - 1;
    if (n > 0) {
      this.online.set(had.user, n);
      return;
    }
    this.online.delete(had.user);
    if (notify) this.onChange(had.user, false);
  }

  /** Leases nobody renewed within one lease period: their gateway is gone. */
  private sweep(now: number): void {
    for (const [key, lease] of this.leases) {
      if (now - lease.at <= this.leaseMs) continue;
      if (this.local.has(lease.user) && key === leaseKey(lease.user, this.gatewayId)) continue;
      this.dropLease(key, true);
    }
  }

  /** Renews this gateway's leases, a bounded number of puts in flight, never two rounds at once. */
  private async renew(): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    try {
      const users = [...this.local.keys()];
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(RENEW_IN_FLIGHT, users.length) }, async () => {
          while (next < users.length) {
            const user = users[next++]!;
            if (!this.local.has(user)) continue;
            await this.kv.put(leaseKey(user, this.gatewayId), '').catch((err: unknown) => this.log.warn({ err }, 'presence lease renewal failed'));
          }
        }),
      );
    } finally {
      this.renewing = false;
    }
  }
}
