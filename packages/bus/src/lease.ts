import type { Subjects } from '@chat/contracts';
import { type BucketOptions, openBucket } from './buckets.ts';
import { Kvm, StorageType, type KV, type NatsConnection } from './nats.ts';
import { isTransient } from './errors.ts';
import { isNotFound } from './stream.ts';

export const LEASE_TTL_MS = 10_000;

const wrongSequence = (err: unknown): boolean => /wrong last sequence/i.test(String((err as Error)?.message ?? err));

/** A holder gives its lease up this long before the key could have expired, renewed or not. */
const EXPIRY_MARGIN_MS = LEASE_TTL_MS / 5;

/** Leases for work that must have one active copy (e.g. a projection writing its read models). */
export async function openLeaseBucket(nc: NatsConnection, s: Subjects, opts: BucketOptions = {}): Promise<KV> {
  return openBucket(nc, `KV_${s.leaseBucket}`, opts, () =>
    new Kvm(nc).create(s.leaseBucket, { history: 1, ttl: LEASE_TTL_MS, storage: StorageType.File, replicas: opts.replicas ?? 1 }),
  );
}

/**
 * One holder at a time for `key`: taken with a create (which fails while the key exists), kept by
 * updates that expect the holder's own last revision, and gone by itself `LEASE_TTL_MS` after the
 * holder stops renewing (crash, partition). A holder that fails to renew learns it at once.
 */
export class Lease {
  private revision = 0;
  private renewedAt = 0;
  private renewing = false;
  private renewTimer: NodeJS.Timeout | null = null;
  private lostResolve: (() => void) | null = null;
  private kv: KV | null = null;

  /** `open` gives the bucket; it is called again when the bucket has gone (a server that lost it). */
  constructor(
    private readonly open: () => Promise<KV>,
    private readonly key: string,
    private readonly holder: string,
    private readonly pollMs = LEASE_TTL_MS / 5,
  ) {}

  /** Waits until this copy holds the lease; `lost` settles when it no longer does. */
  async acquire(signal: AbortSignal): Promise<{ lost: Promise<void> }> {
    while (!signal.aborted) {
      try {
        this.kv ??= await this.open();
        const sentAt = Date.now();
        this.revision = await this.kv.create(this.key, new TextEncoder().encode(this.holder));
        this.renewedAt = sentAt;
        break;
      } catch (err) {
        // Held by another copy ("wrong last sequence"), or the bucket or server is not there now.
        if (isNotFound(err)) this.kv = null;
        else if (wrongSequence(err) && (await this.retake())) break;
        await new Promise((r) => setTimeout(r, this.pollMs));
      }
    }
    const lost = new Promise<void>((resolve) => {
      this.lostResolve = resolve;
    });
    if (signal.aborted) {
      this.lostResolve?.();
      return { lost };
    }
    this.renewTimer = setInterval(() => void this.renew(), LEASE_TTL_MS / 3);
    this.renewTimer.unref();
    return { lost };
  }

  /** Gives the lease up at once, so a standby copy takes over without waiting for expiry. */
  async release(): Promise<void> {
    const held = this.revision;
    this.stopRenewing();
    if (held > 0) await this.kv?.delete(this.key, { previousSeq: held }).catch(() => undefined);
  }

  /**
   * Keeps the lease through a renewal that fails for a moment (a timeout, a reconnect, a leader
   * election) while the key cannot have expired yet; gives it up when it may have, or when the key
   * is someone else's. A renewal that went through but whose answer was lost leaves our revision
   * behind: the key still names this holder, so its revision is taken up.
   */
  private async renew(): Promise<void> {
    if (this.renewing || this.revision === 0) return;
    this.renewing = true;
    const sentAt = Date.now();
    try {
      if (!this.kv) throw new Error('no lease bucket');
      const revision = await this.kv.update(this.key, new TextEncoder().encode(this.holder), this.revision);
      if (this.revision === 0) return;
      this.revision = revision;
      this.renewedAt = sentAt;
    } catch (err) {
      if (this.revision === 0) return;
      if (wrongSequence(err) && (await this.stillOurs())) return;
      if (!isTransient(err) || Date.now() - this.renewedAt >= LEASE_TTL_MS - EXPIRY_MARGIN_MS) this.stopRenewing();
    } finally {
      this.renewing = false;
    }
  }

  /**
   * The key still names this copy (given up while its server was away, before the key expired):
   * renewed at once, it is ours again, with no wait for it to lapse.
   */
  private async retake(): Promise<boolean> {
    if (!(await this.stillOurs())) return false;
    try {
      const sentAt = Date.now();
      this.revision = await this.kv!.update(this.key, new TextEncoder().encode(this.holder), this.revision);
      this.renewedAt = sentAt;
      return true;
    } catch {
      this.revision = 0;
      return false;
    }
  }

  private async stillOurs(): Promise<boolean> {
    try {
      const entry = await this.kv?.get(this.key);
      if (entry?.operation !== 'PUT' || entry.string() !== this.holder) return false;
      this.revision = entry.revision;
      return true;
    } catch {
      return false;
    }
  }

  private stopRenewing(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    this.revision = 0;
    this.lostResolve?.();
    this.lostResolve = null;
  }
}
