import { CorruptEventError, decodeEvent, type Follower, followStream, type JsMsg, type NatsConnection, type StoredEvent, type StreamIdentity } from '@chat/bus';
import type { Subjects } from '@chat/contracts';
import type { Logger } from '@chat/runtime';
import { isTransientDbError } from '@chat/db';
import type { Kysely } from 'kysely';
import { advance, CheckpointMismatchError, type Claim, claim, FencedError, GapError, position as checkpointPosition } from './db/checkpoint.ts';
import { deadLetters } from './db/dead-letters.ts';
import type { Database } from './db/schema.ts';
import { type Duplicates, isDuplicate, writePlans } from './db/write-plans.ts';
import { planAll } from './read-models/index.ts';

/**
 * A backlog is pulled this many events at a time, and goes through in runs of what waited while
 * the last one was written (fewer than three times this); a lone event goes through at once.
 * Larger pulls were measured (10k, 20k): no gain once the writer's CPU, not its transactions,
 * bounds a rebuild.
 */
export const MAX_BATCH = 5000;
/**
 * Pulls waiting to be written besides the run being written: while Postgres writes one run, the
 * next two are read and decoded. One (the follower's default) left the writer's thread idle about
 * 10% of a rebuild: 28 750 events/s against 31 400 with two (1 000 000 events, four runs each).
 */
const PULLS_WAITING = 2;
/**
 * Following live, a batch waits this long for company before it is written, unless a reader waits
 * for it (`waitFor`). At 800 posts/s, one transaction per event cost the writer and Postgres
 * together ~640 µs of CPU per post, on the cores the live path needs; see docs/benchmarks.md.
 */
export const LINGER_MS = 20;
/** Attempts at a batch, then at each of its events alone, before an event is a dead letter. */
const ATTEMPTS = 3;
/** No message and no heartbeat for this long while following: the consumer is recreated. */
export const STALL_MS = 5000;

export interface WriterOptions {
  nc: NatsConnection;
  db: Kysely<Database>;
  s: Subjects;
  log: Logger;
  /** Checkpoint name: separate names give separate, independent read models. */
  name: string;
  /** The stream as it is now: checked against the checkpoint's record on every start. */
  identity: () => Promise<StreamIdentity>;
  batch?: number;
  /** See `LINGER_MS`; 0 writes every event as soon as it arrives. */
  lingerMs?: number;
  onBatch?: (applied: number, ms: number) => void;
  onDeadLetter?: (seq: number, error: string) => void;
  /** Called when the writer stops on its own: fenced by a newer holder, or a checkpoint of another stream. */
  onHalt?: (err: Error) => void;
}

/**
 * One event of a run, as the writer keeps it while it waits to be written: what it needs of the
 * message, not the message (a backlog's waiting runs then hold a few objects per event, not the
 * client's whole message, and the garbage collector has that much less to copy).
 */
interface Unit {
  seq: number;
  subject: string;
  /** The event as stored, for the dead letters. */
  data: Uint8Array;
  event: StoredEvent | null;
  /** Why it cannot be read, when it cannot. */
  unreadable: string | null;
  /** The type its header names, when it cannot be read. */
  headerType: string | null;
}

/**
 * The Postgres writer: follows the whole event log from its checkpoint and applies it to the read
 * models, a batch per transaction with the checkpoint. It is not on the live path: gateways build
 * live frames from the log themselves, so a slow, stalled or failing writer delays history only.
 *
 * - Fenced: each start claims the checkpoint with a new epoch, and every batch's transaction checks
 *   it still holds that epoch and that the batch starts right after the checkpoint. A paused copy
 *   that wakes up beside the one that took over cannot write a thing.
 * - Never stopped by one event: a batch that fails for a reason other than Postgres being away is
 *   retried, then applied event by event; an event that still fails goes to the dead letters with
 *   its error, and the log goes on. Postgres being away is waited out, however long.
 * - Never silently stalled: a consumer that has heard nothing for `STALL_MS` is recreated.
 */
export class Writer {
  private follower: Follower | null = null;
  private claimed: Claim | null = null;
  private applied = 0;
  private applying = false;
  private stopping = false;
  private watchdog: NodeJS.Timeout | null = null;
  /** The stream as it was when the checkpoint was claimed: compared with what `noteStream` says. */
  private stream: StreamIdentity | null = null;
  /** Starts and stops, one after the other. */
  private turns: Promise<void> = Promise.resolve();
  /** A stalled follower being stopped, to be replaced once it has. */
  private replacing: Promise<void> | null = null;
  private readonly waiters = new Set<{ seq: number; resolve: () => void }>();

  constructor(private readonly opts: WriterOptions) {}

  /** Highest sequence applied (by this copy, or found in the checkpoint). */
  get position(): number {
    return this.applied;
  }

  get active(): boolean {
    return this.claimed !== null;
  }

  /** Whether a batch is being written right now (its transaction may be waiting on Postgres). */
  get busy(): boolean {
    return this.applying;
  }

  /**
   * Takes the checkpoint (a new epoch) and follows the log from right after it. Starts and stops
   * take turns, and a start while started stops first (two rebuilds asked at once): there is
   * never more than one follower.
   */
  start(): Promise<void> {
    return this.inTurn(async () => {
      if (this.claimed) await this.halt();
      this.stopping = false;
      const stream = await this.opts.identity();
      this.claimed = await claim(this.opts.db, this.opts.name, stream);
      this.stream = stream;
      this.applied = this.claimed.seq;
      this.opts.log.info({ name: this.opts.name, from: this.applied + 1, epoch: this.claimed.epoch }, 'writer following the log');
      this.follow();
      this.watchdog = setInterval(() => this.checkStall(), 1000);
      this.watchdog.unref();
    });
  }

  stop(): Promise<void> {
    return this.inTurn(() => this.halt());
  }

  private inTurn(step: () => Promise<void>): Promise<void> {
    const next = this.turns.then(step);
    this.turns = next.catch(() => undefined);
    return next;
  }

  private async halt(): Promise<void> {
    this.stopping = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    await this.replacing;
    await this.follower?.stop();
    this.follower = null;
    this.claimed = null;
    this.stream = null;
  }

  /** Resolves once the read models hold `seq`, or after `timeoutMs`: true if they do. */
  async waitFor(seq: number, timeoutMs: number): Promise<boolean> {
    // A copy standing by asks the checkpoint every time: the active copy may have started a
    // rebuild (the read models emptied) since this copy last read it.
    if (!this.active) return this.pollCheckpoint(seq, timeoutMs);
    if (this.applied >= seq) return true;
    if (timeoutMs <= 0) return false;
    return new Promise((resolve) => {
      const waiter = { seq, resolve: () => resolve(true) };
      this.waiters.add(waiter);
      this.follower?.hurry();
      setTimeout(() => {
        if (this.waiters.delete(waiter)) resolve(false);
      }, timeoutMs).unref();
    });
  }

  /** A standby copy learns the active one's progress from the checkpoint it writes. */
  private async pollCheckpoint(seq: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const checkpoint = await checkpointPosition(this.opts.db, this.opts.name);
      // Started meanwhile (a rebuild starts again from 0): this copy's own position holds, not
      // the checkpoint read before.
      if (this.active) return this.waitFor(seq, deadline - Date.now());
      this.applied = checkpoint;
      if (this.applied >= seq) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private follow(): void {
    const from = this.applied + 1;
    const follower = followStream(this.opts.nc, {
      stream: this.opts.s.stream,
      fromSeq: from,
      batch: this.opts.batch ?? MAX_BATCH,
      waiting: PULLS_WAITING * (this.opts.batch ?? MAX_BATCH),
      lingerMs: this.opts.lingerMs ?? LINGER_MS,
      // A reader waiting for its own write is not kept waiting for company.
      urgent: () => this.waiters.size > 0,
      // Decoded as they arrive, while the batch before them is in Postgres.
      prepare: decode,
      onBatch: (units) => this.applyBatch(units),
      onReset: (reason) => this.opts.log.warn({ reason, position: this.applied }, 'writer consumer recreated'),
    });
    this.follower = follower;
    void follower.done.then(
      () => undefined,
      (err: unknown) => this.onFollowerFailed(follower, err),
    );
  }

  private onFollowerFailed(follower: Follower, err: unknown): void {
    if (this.stopping || this.follower !== follower) return;
    if (err instanceof GapError) {
      this.opts.log.error({ err }, 'batch out of step with the checkpoint; following again from the checkpoint');
      // The checkpoint may be past what this copy saw committed (a commit whose reply was lost):
      // readers waiting for those events have them.
      this.appliedUpTo(err.checkpoint);
      this.follow();
      return;
    }
    this.giveUp(
      err instanceof Error ? err : new Error(String(err)),
      err instanceof FencedError ? 'writer fenced off: another copy took over' : 'writer stopped',
    );
  }

  /** Stops on its own, for a reason only an operator or another copy can settle, and says so. */
  private giveUp(err: Error, message: string): void {
    this.opts.log.error({ err }, message);
    void this.stop();
    this.opts.onHalt?.(err);
  }

  /**
   * The stream as the host has just read it (its lag gauge reads it every second). Deleted and made
   * again while followed, its events are not the ones the read models hold (the consumer, recreated,
   * would carry on at the old position): the writer stops and says to rebuild, as a start would.
   */
  noteStream(now: StreamIdentity): void {
    const claimed = this.stream;
    if (!claimed || this.stopping || (now.name === claimed.name && now.created === claimed.created)) return;
    this.giveUp(
      new CheckpointMismatchError(
        `stream ${claimed.name} created ${claimed.created} was deleted and made again (now created ${now.created}) while the projection followed it`,
      ),
      'writer stopped',
    );
  }

  private checkStall(): void {
    const f = this.follower;
    if (!f || this.applying || this.stopping) return;
    if (Date.now() - f.lastSignalAt < STALL_MS) return;
    this.opts.log.error({ position: this.applied, silentMs: Date.now() - f.lastSignalAt }, 'writer consumer stalled: recreating it');
    this.follower = null;
    this.replacing = f.stop().then(() => {
      this.replacing = null;
      // Unless stopped, or stopped and started again (which made its own follower) meanwhile.
      if (!this.stopping && this.claimed && this.follower === null) this.follow();
    });
  }

  private async applyBatch(units: Unit[]): Promise<void> {
    const started = performance.now();
    this.applying = true;
    try {
      if ((await this.tryUnits(units)) !== null) {
        // One of them cannot be applied: find it by applying them one at a time.
        for (const unit of units) {
          const refused = await this.tryUnits([unit]);
          if (refused !== null) await this.deadLetter(unit, refused);
        }
      }
      this.appliedUpTo(units[units.length - 1]!.seq);
      this.opts.onBatch?.(units.length, performance.now() - started);
    } finally {
      this.applying = false;
    }
  }

  /** The read models hold everything up to `seq`: so do the readers waiting for it. */
  private appliedUpTo(seq: number): void {
    this.applied = seq;
    for (const waiter of this.waiters) {
      if (waiter.seq <= seq) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /**
   * Applies units in one transaction with the checkpoint. Waits out Postgres being away for as
   * long as it takes; returns null once applied, or why they failed `ATTEMPTS` times otherwise.
   */
  private async tryUnits(units: Unit[]): Promise<string | null> {
    const claimed = this.claimed;
    if (!claimed) throw new FencedError(-1, -1);
    let failures = 0;
    let backoff = 100;
    // Plain inserts first; a message row already there aborts the transaction, and the batch is
    // applied again at once skipping such rows (as ON CONFLICT DO NOTHING always did).
    let duplicates: Duplicates = 'fail';
    for (;;) {
      try {
        await this.opts.db.transaction().execute(async (trx) => {
          await advance(trx, this.opts.name, claimed.epoch, units[0]!.seq, units[units.length - 1]!.seq);
          const events = units.flatMap((u) => (u.event ? [u.event] : []));
          await writePlans(trx, planAll(events), duplicates);
          for (const u of units) if (u.unreadable) await deadLetters.add(trx, this.opts.name, letterOf(u, u.unreadable));
        });
        for (const u of units) {
          if (!u.unreadable) continue;
          this.opts.log.error({ seq: u.seq, subject: u.subject, error: u.unreadable }, 'unreadable event sent to the dead letters; the projection goes on');
          this.opts.onDeadLetter?.(u.seq, u.unreadable);
        }
        return null;
      } catch (err) {
        if (err instanceof FencedError || err instanceof GapError || this.stopping) throw err;
        if (duplicates === 'fail' && isDuplicate(err)) {
          duplicates = 'skip';
          continue;
        }
        if (isTransientDbError(err)) {
          if (backoff >= 1600) this.opts.log.warn({ err: String(err), position: this.applied }, 'Postgres unavailable; the writer waits');
        } else if (++failures >= ATTEMPTS) {
          this.opts.log.warn({ err: String(err), from: units[0]!.seq, count: units.length }, 'batch refused by Postgres');
          return err instanceof Error ? err.message : String(err);
        }
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  private async deadLetter(unit: Unit, error: string): Promise<void> {
    const claimed = this.claimed;
    if (!claimed) throw new FencedError(-1, -1);
    let backoff = 100;
    for (;;) {
      try {
        await this.opts.db.transaction().execute(async (trx) => {
          await advance(trx, this.opts.name, claimed.epoch, unit.seq, unit.seq);
          await deadLetters.add(trx, this.opts.name, letterOf(unit, error));
        });
        break;
      } catch (err) {
        if (err instanceof FencedError || err instanceof GapError || this.stopping || !isTransientDbError(err)) throw err;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
    this.opts.log.error({ seq: unit.seq, subject: unit.subject, error }, 'event sent to the dead letters; the projection goes on');
    this.opts.onDeadLetter?.(unit.seq, error);
  }
}

function decode(msg: JsMsg): Unit {
  const { seq, subject, data } = msg;
  try {
    return { seq, subject, data, event: decodeEvent(seq, data), unreadable: null, headerType: null };
  } catch (err) {
    const unreadable = err instanceof CorruptEventError ? err.message : String(err);
    return { seq, subject, data, event: null, unreadable, headerType: msg.headers?.get('Chat-Event-Type') || null };
  }
}

const letterOf = (u: Unit, error: string) => ({
  seq: u.seq,
  subject: u.subject,
  type: u.event?.event.type ?? u.headerType,
  event: u.data,
  error,
});
