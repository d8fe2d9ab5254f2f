import type { Subjects } from '@chat/contracts';
import { Kvm, StorageType, type KV, type NatsConnection } from './nats.ts';

export const LEASE_TTL_MS = 10_000;

/** Leases for work that must have one active copy (e.g. a projection writing its read models). */
export function openLeaseBucket(nc: NatsConnection, s: Subjects): Promise<KV> {
  return new Kvm(nc).create(s.leaseBucket, { history: 1, ttl: LEASE_TTL_MS, storage: StorageType.Memory });
}

/**
 * One holder at a time for `key`: taken with a create (which fails while the key exists), kept by
 * updates that expect the holder's own last revision, and gone by itself `LEASE_TTL_MS` after the
 * holder stops renewing (crash, partition). A holder that fails to renew learns it at once.
 */
export class Lease {
  private revision = 0;
  private renewTimer: NodeJS.Timeout | null = null;
  private lostResolve: (() => void) | null = null;

  constructor(
    private readonly kv: KV,
    private readonly key: string,
    private readonly holder: string,
    private readonly pollMs = LEASE_TTL_MS / 5,
  ) {}

  /** Waits until this copy holds the lease; `lost` settles when it no longer does. */
  async acquire(signal: AbortSignal): Promise<{ lost: Promise<void> }> {
    while (!signal.aborted) {
      try {
        this.revision = await this.kv.create(this.key, new TextEncoder().encode(this.holder));
        break;
      } catch {
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
    if (held > 0) await this.kv.delete(this.key, { previousSeq: held }).catch(() => undefined);
  }

  private async renew(): Promise<void> {
    try {
      this.revision = await this.kv.update(this.key, new TextEncoder().encode(this.holder), this.revision);
    } catch {
      this.stopRenewing();
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
