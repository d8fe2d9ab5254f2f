import type { Subjects } from '@chat/contracts';
import { Kvm, StorageType, type KV, type NatsConnection } from './nats.ts';

/** How long a presence lease lives without renewal: a crashed gateway's users are gone after it. */
export const PRESENCE_LEASE_MS = 12_000;

/**
 * The presence bucket: one key per open socket, renewed while it is open. Kept in memory (it is
 * rebuilt within one lease after a restart) and aged out by the server as a storage bound.
 */
export function openPresenceBucket(nc: NatsConnection, s: Subjects): Promise<KV> {
  return new Kvm(nc).create(s.presenceBucket, { history: 1, ttl: 2 * PRESENCE_LEASE_MS, storage: StorageType.Memory });
}
