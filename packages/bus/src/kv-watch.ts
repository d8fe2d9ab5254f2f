import { DeliverPolicy, jetstream, type NatsConnection } from './nats.ts';

export interface BucketEntry {
  key: string;
  operation: 'PUT' | 'DEL';
  /** When the server stored it. */
  created: Date;
  value: Uint8Array;
  /** Part of the state found when the watch started (as opposed to a later change). */
  initial: boolean;
}

export interface BucketWatch {
  /** Settles once every entry that existed when the watch started has been handed over. */
  ready: Promise<void>;
  stop(): void;
}

/**
 * Follows the keys of a KV bucket that match `keyFilter` (NATS wildcards allowed): first the latest
 * value of every key, then each change, in order. Unlike the KV client's own watch, it says when
 * the initial state is complete, also when it is empty. An ordered consumer underneath recreates
 * itself after a reconnect or a server restart and carries on from the last entry it delivered.
 */
export async function watchBucket(nc: NatsConnection, bucket: string, keyFilter: string, onEntry: (entry: BucketEntry) => void): Promise<BucketWatch> {
  const js = jetstream(nc);
  const prefix = `$KV.${bucket}.`;
  const consumer = await js.consumers.get(`KV_${bucket}`, { filter_subjects: `${prefix}${keyFilter}`, deliver_policy: DeliverPolicy.LastPerSubject });
  let initialLeft = (await consumer.info(true)).num_pending;
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => {
    readyResolve = r;
  });
  if (initialLeft === 0) readyResolve();
  const messages = await consumer.consume({ max_messages: 1000, expires: 10_000, idle_heartbeat: 2000 });
  void (async () => {
    for await (const m of messages) {
      const op = m.headers?.get('KV-Operation');
      const initial = initialLeft > 0;
      onEntry({
        key: m.subject.slice(prefix.length),
        operation: op === 'DEL' || op === 'PURGE' ? 'DEL' : 'PUT',
        created: new Date(Math.floor(m.info.timestampNanos / 1e6)),
        value: m.data,
        initial,
      });
      if (initial && --initialLeft === 0) readyResolve();
    }
  })().finally(readyResolve);
  return {
    ready,
    stop: () => {
      messages.stop();
      void consumer.delete().catch(() => undefined);
    },
  };
}
