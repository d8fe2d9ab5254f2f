import { isPermissionDenied } from './errors.ts';
import { StorageType, jetstreamManager, type NatsConnection } from './nats.ts';
import { awaitStream, isNotFound } from './stream.ts';

export interface BucketOptions {
  /** Copies on a NATS cluster: the event stream's count (`STREAM_REPLICAS`), so a bucket is as available as the log. */
  replicas?: number;
}

/**
 * Every bucket (leases, presence, uploads) is kept in file storage with the event stream's replica
 * count, so a NATS restart or the loss of one cluster node leaves it in place. A bucket made by an
 * older version in memory storage (which a restart empties and nothing recreates) is replaced:
 * what it holds is short-lived by design (leases, presence, staged uploads), and a replica count
 * that differs is updated in place. A NATS user that may not change streams leaves that to the
 * services that may (see `openBucket`).
 */
export async function prepareBucketStream(nc: NatsConnection, stream: string, opts: BucketOptions): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const replicas = opts.replicas ?? 1;
  let info: Awaited<ReturnType<typeof jsm.streams.info>>;
  try {
    info = await jsm.streams.info(stream);
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  try {
    if (info.config.storage !== StorageType.File) {
      await jsm.streams.delete(stream).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
      return;
    }
    if (info.config.num_replicas !== replicas) await jsm.streams.update(stream, { ...info.config, num_replicas: replicas });
  } catch (err) {
    if (!isPermissionDenied(err)) throw err;
  }
}

/**
 * Prepares the bucket's stream and opens it with `open` (which creates it when it is missing).
 * A NATS user that may not create streams (infra/nats/auth.conf: a stream's configuration can
 * republish into the event log, so only the room and profile services may) waits for it instead.
 */
export async function openBucket<T>(nc: NatsConnection, stream: string, opts: BucketOptions & { waitMs?: number }, open: () => Promise<T>): Promise<T> {
  await prepareBucketStream(nc, stream, opts);
  try {
    return await open();
  } catch (err) {
    if (!isPermissionDenied(err)) throw err;
    await awaitStream(await jetstreamManager(nc), stream, opts.waitMs);
    return open();
  }
}
