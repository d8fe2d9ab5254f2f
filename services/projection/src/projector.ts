import {
  AckPolicy,
  DeliverPolicy,
  decodeEvent,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JsMsg,
  type NatsConnection,
  type StoredEvent,
} from '@chat/bus';
import type { Subjects } from '@chat/contracts';
import type { Logger } from '@chat/runtime';
import type { Kysely } from 'kysely';
import { applyBatch, type LiveUpdate } from './apply-batch.ts';
import { readModels } from './db/read-models.ts';
import type { Database } from './db/schema.ts';

const MAX_BATCH = 5000;
const encoder = new TextEncoder();

export interface ProjectorOptions {
  nc: NatsConnection;
  db: Kysely<Database>;
  s: Subjects;
  log: Logger;
  /** Durable consumer and checkpoint name: separate names give separate, independent projections. */
  name: string;
  onBatch?: (applied: number, ms: number) => void;
}

/**
 * Follows the whole event log into Postgres. Postgres holds the truth of how far it got (the
 * checkpoint, written with the views), so on every start the durable consumer is set to resume
 * right after it. Messages are applied in batches: whatever arrived while the last transaction
 * ran, so a lone live event goes through at once and a backlog goes through five thousand at a time.
 */
export class Projector {
  private messages: ConsumerMessages | null = null;
  private loop: Promise<void> | null = null;
  private stopped = true;
  private applied = 0;
  private readonly waiters = new Set<{ seq: number; resolve: () => void }>();

  constructor(private readonly opts: ProjectorOptions) {}

  /** Highest sequence this process has applied (or found applied). */
  get position(): number {
    return this.applied;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.applied = await readModels.checkpoint(this.opts.db, this.opts.name);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.messages?.stop();
    await this.loop;
    this.loop = null;
  }

  /** Whether this copy is the one applying events (the others stand by and answer queries). */
  get active(): boolean {
    return !this.stopped;
  }

  /** Resolves once the projection has applied `seq`, or after `timeoutMs`: true if it did. */
  async waitFor(seq: number, timeoutMs: number): Promise<boolean> {
    if (this.applied >= seq) return true;
    if (!this.active) return this.pollCheckpoint(seq, timeoutMs);
    if (timeoutMs <= 0) return false;
    return new Promise((resolve) => {
      const waiter = { seq, resolve: () => resolve(true) };
      this.waiters.add(waiter);
      setTimeout(() => {
        if (this.waiters.delete(waiter)) resolve(false);
      }, timeoutMs);
    });
  }

  /** A standby copy learns the active one's progress from the checkpoint it writes. */
  private async pollCheckpoint(seq: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.applied = Math.max(this.applied, await readModels.checkpoint(this.opts.db, this.opts.name));
      if (this.applied >= seq) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Empties the read models and replays the log from its first event. */
  async rebuild(): Promise<void> {
    await this.stop();
    await readModels.reset(this.opts.db);
    await this.start();
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      try {
        await this.consume();
        backoff = 100;
      } catch (err) {
        if (this.stopped) break;
        this.opts.log.error({ err }, 'projection failed; resuming from the checkpoint');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
        this.applied = await readModels.checkpoint(this.opts.db, this.opts.name).catch(() => this.applied);
      }
    }
  }

  private async consume(): Promise<void> {
    const { nc, s, name } = this.opts;
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.delete(s.stream, name).catch(() => undefined);
    await jsm.consumers.add(s.stream, {
      durable_name: name,
      // Batches are applied in stream order and committed whole, so acking a batch's last
      // message (which acks every one before it) says all there is to say.
      ack_policy: AckPolicy.All,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.applied + 1,
      max_ack_pending: 4 * MAX_BATCH,
      ack_wait: 30_000_000_000,
    });
    const consumer = await jetstream(nc).consumers.get(s.stream, name);
    const messages = await consumer.consume({ max_messages: 2 * MAX_BATCH });
    this.messages = messages;

    let pending: JsMsg[] = [];
    let failure: unknown = null;
    let flushing: Promise<void> | null = null;
    const flush = async () => {
      while (pending.length > 0 && failure === null) {
        const batch = pending.slice(0, MAX_BATCH);
        pending = pending.slice(batch.length);
        try {
          await this.applyAndAck(batch);
        } catch (err) {
          failure = err;
          messages.stop();
        }
      }
      flushing = null;
    };
    for await (const m of messages) {
      pending.push(m);
      // Let every message already received join the batch before it is applied.
      flushing ??= new Promise<void>((r) => setImmediate(r)).then(flush);
    }
    await flushing;
    if (failure !== null) throw failure;
  }

  private async applyAndAck(batch: JsMsg[]): Promise<void> {
    const started = performance.now();
    const events: StoredEvent[] = [];
    for (const m of batch) {
      try {
        events.push(decodeEvent(m.seq, m.data));
      } catch (err) {
        // Events are validated when written, so this one bypassed the services: skip it loudly
        // rather than stop every room's projection behind it.
        this.opts.log.error({ err, seq: m.seq, subject: m.subject }, 'skipping unreadable event');
      }
    }
    const throughSeq = batch[batch.length - 1]!.seq;
    const result = await this.opts.db.transaction().execute((trx) => applyBatch(trx, this.opts.name, events, throughSeq, true));
    batch[batch.length - 1]!.ack();
    this.publish(result.updates);
    this.applied = Math.max(this.applied, result.lastSeq);
    for (const waiter of this.waiters) {
      if (waiter.seq <= this.applied) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
    this.opts.onBatch?.(result.applied, performance.now() - started);
  }

  private publish(updates: LiveUpdate[]): void {
    for (const { roomId, frame } of updates) {
      this.opts.nc.publish(this.opts.s.live.room(roomId), encoder.encode(JSON.stringify(frame)));
    }
  }
}
