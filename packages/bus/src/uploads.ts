import type { Subjects } from '@chat/contracts';
import { type BucketOptions, openBucket } from './buckets.ts';
import { Objm, StorageType, type NatsConnection, type ObjectStore } from './nats.ts';

const NANOS_PER_MS = 1_000_000;
/** An upload lives only until the profile service has read it; this bounds what a crash leaves. */
export const UPLOAD_TTL_MS = 15 * 60 * 1000;
/** Room for a hundred uploads in flight; past it new uploads are refused, never old ones lost. */
export const UPLOADS_MAX_BYTES = 128 * 1024 * 1024;

/**
 * The object store through which the gateway hands avatar uploads to the profile service.
 *
 * Why an object store: an upload may be exactly 1 MiB, which is NATS's default `max_payload`,
 * and headers count against it too, so the bytes cannot travel as one request. The object store
 * chunks them (128 KiB messages) and any copy of the profile service can read them, which chunked
 * requests to a queue group could not promise. The request then carries only the object's name.
 *
 * Uploads are transient (deleted after use, expired after `UPLOAD_TTL_MS`), but kept in file
 * storage with the stream's replicas all the same, so a NATS restart does not lose one in flight.
 * Created here and nowhere else; opening it again leaves it as it is.
 */
export async function openUploadStore(nc: NatsConnection, s: Subjects, opts: BucketOptions = {}): Promise<ObjectStore> {
  return openBucket(nc, `OBJ_${s.uploads}`, opts, () =>
    new Objm(nc).create(s.uploads, {
      description: 'avatar uploads staged by the gateway for the profile service',
      storage: StorageType.File,
      replicas: opts.replicas ?? 1,
      ttl: UPLOAD_TTL_MS * NANOS_PER_MS,
      max_bytes: UPLOADS_MAX_BYTES,
    }),
  );
}
