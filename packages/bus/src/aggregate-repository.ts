import { AppError, type ChatEvent, type EventDraft, type EventMeta } from '@chat/contracts';
import { ConcurrencyError, type EventStore } from './event-store.ts';

export interface Snapshot<S> {
  state: S;
  /** Sequence of the last event folded into `state` (0: none). */
  seq: number;
}

export interface Aggregate<S, E extends ChatEvent> {
  subject: (id: string) => string;
  initialState: () => S;
  evolve: (state: S, event: E) => S;
}

/**
 * An aggregate's state from the event log, cached per id and brought up to date with only the
 * events since the cached position: when nothing changed, one look-up of the last sequence.
 */
export class AggregateRepository<S, E extends ChatEvent> {
  private readonly cache = new Map<string, Snapshot<S>>();

  constructor(
    private readonly store: EventStore,
    private readonly aggregate: Aggregate<S, E>,
    private readonly capacity = 10_000,
  ) {}

  /** What is cached for `id`, without asking the log (may be behind it). */
  peek(id: string): Snapshot<S> | undefined {
    return this.cache.get(id);
  }

  async load(id: string): Promise<Snapshot<S>> {
    const cached = this.cache.get(id) ?? { state: this.aggregate.initialState(), seq: 0 };
    const { events } = await this.store.read(this.aggregate.subject(id), cached.seq + 1);
    if (events.length === 0) return cached;
    let { state, seq } = cached;
    for (const stored of events) {
      state = this.aggregate.evolve(state, stored.event as E);
      seq = stored.seq;
    }
    return this.remember(id, { state, seq });
  }

  /**
   * Appends events, each expecting the previous one's position, so two deciders that saw the
   * same state cannot both write. Returns the snapshot after the last appended event.
   */
  async append(id: string, snapshot: Snapshot<S>, drafts: EventDraft<E>[], meta: EventMeta, now: Date): Promise<Snapshot<S>> {
    let { state, seq } = snapshot;
    try {
      for (const draft of drafts) {
        const appended = await this.store.append(this.aggregate.subject(id), draft as EventDraft, { expectedLastSeq: seq, meta, now });
        state = this.aggregate.evolve(state, appended.event as E);
        seq = appended.seq;
      }
    } catch (err) {
      if (err instanceof ConcurrencyError) this.cache.delete(id);
      throw err;
    }
    return this.remember(id, { state, seq });
  }

  /** Keeps the newer of the cached snapshot and `snapshot` (a slow read must not put an older state back), and returns it. */
  private remember(id: string, snapshot: Snapshot<S>): Snapshot<S> {
    const cached = this.cache.get(id);
    if (cached && cached.seq > snapshot.seq) return cached;
    this.cache.delete(id);
    this.cache.set(id, snapshot);
    if (this.cache.size > this.capacity) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    return snapshot;
  }
}

/**
 * The four steps of a command: load, decide, append expecting the loaded position; on a
 * concurrent write, start again against fresh state (a bounded number of times).
 */
export async function runCommand<S, E extends ChatEvent>(
  repo: AggregateRepository<S, E>,
  id: string,
  decide: (state: S) => EventDraft<E>[],
  write: { meta: EventMeta; now: () => Date; maxAttempts?: number; onConflict?: () => void },
): Promise<{ before: Snapshot<S>; after: Snapshot<S>; drafts: EventDraft<E>[] }> {
  const maxAttempts = write.maxAttempts ?? 25;
  for (let attempt = 1; ; attempt++) {
    const before = await repo.load(id);
    const drafts = decide(before.state);
    if (drafts.length === 0) return { before, after: before, drafts };
    try {
      return { before, after: await repo.append(id, before, drafts, write.meta, write.now()), drafts };
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err;
      if (attempt >= maxAttempts) throw new AppError('conflict', 'too many concurrent changes; try again', { subject: err.subject });
      write.onConflict?.();
      // Full jitter, growing: two deciders that keep colliding drift apart quickly.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(100, 2 ** attempt)));
    }
  }
}
