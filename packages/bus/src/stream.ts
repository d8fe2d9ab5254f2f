import type { Subjects } from '@chat/contracts';
import { isPermissionDenied } from './errors.ts';
import { DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from './nats.ts';

const NANOS_PER_MS = 1_000_000;
export const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

/**
 * The event log: one stream per namespace, kept forever, so every read model can be rebuilt.
 * Created here and nowhere else; starting a service twice leaves it as it is (replicas are set
 * when the stream is created: on a cluster, create it with `STREAM_REPLICAS=3`). A NATS user
 * that may not create streams (see `infra/nats/auth.conf`) waits for one that may to create it.
 */
export async function ensureEventStream(jsm: JetStreamManager, s: Subjects, opts: { replicas?: number; waitMs?: number } = {}): Promise<void> {
  const config: Partial<StreamConfig> & { name: string } = {
    name: s.stream,
    subjects: [s.events.all],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: 0,
    max_msgs: -1,
    max_bytes: -1,
    duplicate_window: DUPLICATE_WINDOW_MS * NANOS_PER_MS,
    allow_direct: true,
    num_replicas: opts.replicas ?? 1,
  };
  try {
    await jsm.streams.info(s.stream);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await jsm.streams.add(config);
    } catch (addErr) {
      if (isPermissionDenied(addErr)) return awaitStream(jsm, s.stream, opts.waitMs);
      // Another service created it between our look and our add.
      if (!/already in use|already exists/i.test(String(addErr))) throw addErr;
    }
  }
}

/** How long a service waits for a stream that its NATS user may not create itself. */
export const PROVISION_WAIT_MS = 60_000;

/**
 * Waits until `stream` exists: for a NATS user that may not create streams, since a stream's
 * configuration (republish, sources) can write into the event log. The room and profile services
 * create every stream and bucket at start (`provisionJetStream`); the others wait here for them.
 */
export async function awaitStream(jsm: JetStreamManager, stream: string, waitMs = PROVISION_WAIT_MS): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    try {
      await jsm.streams.info(stream);
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`stream ${stream} does not exist and this NATS user may not create it: start the room or profile service, which create it`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Which stream a position belongs to: the same name can be deleted and created again. */
export interface StreamIdentity {
  name: string;
  /** When the stream was created (ISO 8601, as the server reports it). */
  created: string;
  lastSeq: number;
}

export async function streamIdentity(jsm: JetStreamManager, stream: string): Promise<StreamIdentity> {
  const info = await jsm.streams.info(stream);
  return { name: info.config.name, created: info.created, lastSeq: info.state.last_seq };
}

const STREAM_NOT_FOUND = 10059;

export const isNotFound = (err: unknown): boolean =>
  (err instanceof JetStreamApiError && (err.code === STREAM_NOT_FOUND || err.status === 404)) || /not found/i.test(String((err as Error)?.message));
