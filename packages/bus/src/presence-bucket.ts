import type { Subjects } from '@chat/contracts';
import { type BucketOptions, openBucket } from './buckets.ts';
import { Kvm, StorageType, type KV, type NatsConnection } from './nats.ts';

/** How long a presence lease lives without renewal: a crashed gateway's users are gone after it. */
export const PRESENCE_LEASE_MS = 12_000;

/**
 * The presence bucket: leases renewed while their holder is connected, aged out by the server as a
 * storage bound. In file storage like every bucket (see `prepareBucketStream`), so a NATS restart
 * does not take everyone offline at once.
 */
export async function openPresenceBucket(nc: NatsConnection, s: Subjects, opts: BucketOptions = {}): Promise<KV> {
  return openBucket(nc, `KV_${s.presenceBucket}`, opts, () =>
    new Kvm(nc).create(s.presenceBucket, { history: 1, ttl: 2 * PRESENCE_LEASE_MS, storage: StorageType.File, replicas: opts.replicas ?? 1 }),
  );
}
