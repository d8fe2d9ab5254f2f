import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from 'nats';
import type { Subjects } from '@chat/contracts';

const NANOS_PER_MS = 1_000_000;
export const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

/**
 * The event log: one stream per namespace, kept forever, so every read model can be rebuilt.
 * Created here and nowhere else; starting a service twice leaves it as it is (replicas are set
 * when the stream is created: on a cluster, create it with `STREAM_REPLICAS=3`).
 */
export async function ensureEventStream(jsm: JetStreamManager, s: Subjects, opts: { replicas?: number } = {}): Promise<void> {
  const config: Partial<StreamConfig> = {
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
      // Another service created it between our look and our add.
      if (!/already in use|already exists/i.test(String(addErr))) throw addErr;
    }
  }
}

export const isNotFound = (err: unknown): boolean => {
  const e = err as { code?: string; api_error?: { code?: number; err_code?: number } };
  return e?.api_error?.code === 404 || e?.code === '404' || /not found/i.test(String((err as Error)?.message));
};
