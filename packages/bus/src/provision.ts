import type { Subjects } from '@chat/contracts';
import type { BucketOptions } from './buckets.ts';
import { openLeaseBucket } from './lease.ts';
import { jetstreamManager, type NatsConnection } from './nats.ts';
import { openPresenceBucket } from './presence-bucket.ts';
import { ensureEventStream } from './stream.ts';
import { openUploadStore } from './uploads.ts';

/**
 * Creates (or brings up to date) every JetStream stream of the namespace: the event log, the
 * lease and presence buckets and the uploads object store. Run at start by the room and profile
 * services, the only NATS users allowed to create streams: a stream's configuration can
 * republish or source into the event log, so creating one is as strong as appending events,
 * which only they may do (infra/nats/auth.conf). The gateway and the projection open what they
 * use, and wait for it when it is not there yet.
 */
export async function provisionJetStream(nc: NatsConnection, s: Subjects, opts: BucketOptions = {}): Promise<void> {
  await ensureEventStream(await jetstreamManager(nc), s, opts);
  await openLeaseBucket(nc, s, opts);
  await openPresenceBucket(nc, s, opts);
  await openUploadStore(nc, s, opts);
}
