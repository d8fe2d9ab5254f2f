import { AppError, ChatEvent as ChatEventSchema, EVENT_VERSIONS, parseEvent, type ChatEvent, type EventDraft, type EventMeta } from '@chat/contracts';
import { transientAsUnavailable } from './errors.ts';
import {
  DeliverPolicy,
  JetStreamApiError,
  headers as natsHeaders,
  jetstream,
  jetstreamManager,
  nuid,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
} from './nats.ts';

export interface StoredEvent<E extends ChatEvent = ChatEvent> {
  seq: number;
  event: E;
}

/** Someone else appended to the aggregate first: reload and decide again. */
export class ConcurrencyError extends Error {
  constructor(
    readonly subject: string,
    readonly expected: number,
  ) {
    super(`concurrent write on ${subject} (expected last sequence ${expected})`);
    this.name = 'ConcurrencyError';
  }
}

export class CorruptEventError extends Error {
  constructor(
    readonly seq: number,
    reason: string,
  ) {
    super(`event at seq ${seq} does not match its schema: ${reason}`);
    this.name = 'CorruptEventError';
  }
}

export interface AppendOptions {
  /** Last sequence on the subject that the decision was made against (0: none yet). */
  expectedLastSeq?: number;
  /** JetStream de-duplication id (e.g. derived from the client's client_msg_id). */
  msgId?: string;
  meta: EventMeta;
  now: Date;
}

const WRONG_LAST_SEQUENCE = 10071;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const wrapEvent = (draft: EventDraft, now: Date, meta: EventMeta): ChatEvent =>
  ChatEventSchema.parse({ id: nuid.next(), version: EVENT_VERSIONS[draft.type], occurred_at: now.toISOString(), meta, ...draft });

export function decodeEvent(seq: number, data: Uint8Array): StoredEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(data));
  } catch {
    throw new CorruptEventError(seq, 'not JSON');
  }
  const parsed = parseEvent(raw);
  if (!parsed.success) throw new CorruptEventError(seq, parsed.error.issues[0]?.message ?? 'invalid');
  return { seq, event: parsed.data };
}

/** Appends to and reads from the event log. All JetStream event I/O of the deciders goes through here. */
export class EventStore {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly stream: string,
  ) {}

  static async open(nc: NatsConnection, stream: string): Promise<EventStore> {
    return new EventStore(jetstream(nc), await jetstreamManager(nc), stream);
  }

  /** Validates and appends one event; returns its sequence and whether JetStream saw it before. */
  async append(subject: string, draft: EventDraft, opts: AppendOptions): Promise<{ seq: number; duplicate: boolean; event: ChatEvent }> {
    const event = wrapEvent(draft, opts.now, opts.meta);
    const h = natsHeaders();
    h.set('Chat-Event-Type', event.type);
    try {
      const ack = await this.js.publish(subject, encoder.encode(JSON.stringify(event)), {
        headers: h,
        ...(opts.msgId ? { msgID: opts.msgId } : {}),
        ...(opts.expectedLastSeq !== undefined ? { expect: { lastSubjectSequence: opts.expectedLastSeq } } : {}),
      });
      return { seq: ack.seq, duplicate: ack.duplicate, event };
    } catch (err) {
      if ((err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE) || /wrong last sequence/i.test(String(err))) {
        throw new ConcurrencyError(subject, opts.expectedLastSeq ?? -1);
      }
      throw transientAsUnavailable(err, 'the event log');
    }
  }

  /** The sequence of the last event on `subject`, 0 when there is none (asked of the stream's leader). */
  async lastSeq(subject: string): Promise<number> {
    try {
      const msg = await this.jsm.streams.getMessage(this.stream, { last_by_subj: subject });
      return msg?.seq ?? 0;
    } catch (err) {
      throw transientAsUnavailable(err, 'the event log');
    }
  }

  async get(seq: number): Promise<StoredEvent> {
    let msg: Awaited<ReturnType<JetStreamManager['streams']['getMessage']>>;
    try {
      msg = await this.jsm.streams.getMessage(this.stream, { seq });
    } catch (err) {
      throw transientAsUnavailable(err, 'the event log');
    }
    if (!msg) throw new AppError('not_found', `no event at seq ${seq}`);
    return decodeEvent(msg.seq, msg.data);
  }

  /** Every event on `subject` from `fromSeq` on, in order, up to the last one present now. */
  async read(subject: string, fromSeq = 1): Promise<{ events: StoredEvent[]; lastSeq: number }> {
    const lastSeq = await this.lastSeq(subject);
    if (lastSeq < fromSeq) return { events: [], lastSeq };
    const events: StoredEvent[] = [];
    try {
      const consumer = await this.js.consumers.get(this.stream, {
        filter_subjects: subject,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: fromSeq,
      });
      const messages = await consumer.consume({ max_messages: 256, expires: 5000 });
      try {
        for await (const m of messages) {
          events.push(decodeEvent(m.seq, m.data));
          if (m.seq >= lastSeq) break;
        }
      } finally {
        messages.stop();
        // An ordered consumer would otherwise linger on the server until its inactivity threshold.
        void consumer.delete().catch(() => undefined);
      }
    } catch (err) {
      throw transientAsUnavailable(err, 'the event log');
    }
    return { events, lastSeq };
  }
}
