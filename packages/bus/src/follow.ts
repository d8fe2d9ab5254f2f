import { DeliverPolicy, jetstream, type JsMsg, type NatsConnection } from './nats.ts';

export interface FollowOptions<T = JsMsg> {
  stream: string;
  /** The first sequence to deliver. */
  fromSeq: number;
  /** Messages per pull; no new pull while this many wait to be taken (unless `waiting` says more). */
  batch: number;
  /**
   * How many messages may wait to be taken, besides the run being taken, before no new pull goes
   * out. Default `batch`. More keeps a taker that waits on I/O (a Postgres transaction) busy
   * preparing what comes next, for that much more memory.
   */
  waiting?: number;
  /**
   * Turns each message into what `onBatch` takes, as it arrives: while the previous run is still
   * being taken (its I/O in flight), so this CPU work overlaps it. If it throws, following fails
   * (as when `onBatch` throws) rather than skip the message.
   */
  prepare?: (message: JsMsg) => T;
  /** Takes each run of messages that arrived together, in stream order; the next waits for it. */
  onBatch: (messages: T[]) => Promise<void>;
  /**
   * Group commit: a run shorter than `batch` is handed over only once its first message has waited
   * this long (or `batch` have arrived, or `urgent()` says someone waits, or `hurry()` is called).
   * A taker that pays per run (a transaction) then pays it once per `lingerMs` under steady traffic
   * instead of once per message. Default 0: every run at once.
   */
  lingerMs?: number;
  /** Checked before lingering: true hands over what waits at once. */
  urgent?: () => boolean;
  /** Called when the consumer underneath had to be recreated (a reconnect, a lost server, a gap). */
  onReset?: (reason: string) => void;
  /** Heartbeat interval: a silent server is noticed after two missed ones. */
  heartbeatMs?: number;
  /** Silent this long (no message, no heartbeat): the consumer is made anew. Default: 3 heartbeats, at least 3 s. */
  stallMs?: number;
}

export interface Follower {
  /** The stream sequence of the last message handed over. */
  readonly position: number;
  /** When a message or a heartbeat last arrived (ms since epoch). */
  readonly lastSignalAt: number;
  /** Resolves when following ends (after `stop`, or on a failure `onBatch` threw). */
  readonly done: Promise<void>;
  /** Ends a linger (see `lingerMs`): what waits is handed over now. */
  hurry(): void;
  stop(): Promise<void>;
}

/**
 * Follows a stream in order from `fromSeq`, through an ordered consumer: never a gap, never a
 * duplicate, and after a reconnect, a restarted server or a lost cluster node it recreates its
 * consumer and carries on from the last message it delivered. Flow-controlled: pulls of `batch`
 * messages, the next one as soon as the last has arrived (so a backlog keeps flowing while a run is
 * taken), but none while `waiting` messages wait to be taken (so a slow taker is never buried under a
 * backlog held in memory). A lone message is handed over at once (or after `lingerMs`); a backlog
 * in batches.
 * Created here for every reader of the log (the projection's writer, the gateways' live feed).
 */
export function followStream<T = JsMsg>(nc: NatsConnection, opts: FollowOptions<T>): Follower {
  // Short API timeouts: after a lost node, creating the consumer is retried every 2 s, not 5.
  const js = jetstream(nc, { timeout: 2000 });
  let stopped = false;
  let position = opts.fromSeq - 1;
  let lastSignalAt = Date.now();
  let current: { stop(): void } | null = null;
  const heartbeatMs = opts.heartbeatMs ?? 1000;
  const stallMs = opts.stallMs ?? Math.max(3 * heartbeatMs, 3000);
  const prepare = opts.prepare ?? ((m: JsMsg) => m as T);
  const lingerMs = opts.lingerMs ?? 0;
  const waiting = opts.waiting ?? opts.batch;
  // Set by `hurry` until the next run is handed over; `endLinger` ends the linger that runs, if one does.
  let hurried = false;
  let endLinger: (() => void) | null = null;
  const hurry = () => {
    hurried = true;
    endLinger?.();
  };

  const run = async () => {
    while (!stopped) {
      // A fresh ordered consumer from the first message not yet handed over.
      let consumer: Awaited<ReturnType<typeof js.consumers.get>>;
      try {
        consumer = await js.consumers.get(opts.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: position + 1 });
      } catch (err) {
        if (stopped) break;
        opts.onReset?.(String((err as Error)?.message ?? err));
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      lastSignalAt = Date.now();
      try {
        await follow(consumer);
      } finally {
        void consumer.delete().catch(() => undefined);
      }
    }
  };

  /**
   * Fetches from one consumer until stopped, or until it has been silent (no message, no
   * heartbeat) for `stallMs`: its server-side consumer may have gone with a cluster node, and the
   * client library does not always notice. Then the caller makes a new one.
   */
  const follow = async (consumer: Awaited<ReturnType<typeof js.consumers.get>>) => {
    let stale = false;
    const silent = () => Date.now() - lastSignalAt > stallMs;
    // What arrived and is not handed over yet, across pulls: the next pull goes out as soon as the
    // last one has arrived, so messages keep arriving (and being prepared) while a run is taken.
    let pending: T[] = [];
    let pendingLast = position;
    /** When the oldest message in `pending` arrived. */
    let pendingSince = 0;
    let taking: Promise<void> | null = null;
    let failure: unknown = null;
    let fetch: Awaited<ReturnType<typeof consumer.fetch>> | null = null;
    // Wakes the pulling loop when the taker takes what waits (or stops taking).
    let grabbed: (() => void) | null = null;
    const wake = () => {
      grabbed?.();
      grabbed = null;
    };
    const linger = async () => {
      const until = pendingSince + lingerMs;
      while (!stopped && !hurried && failure === null && pending.length < opts.batch && !opts.urgent?.() && Date.now() < until) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => endLinger?.(), until - Date.now());
          endLinger = () => {
            endLinger = null;
            clearTimeout(timer);
            resolve();
          };
        });
      }
    };
    const take = async () => {
      while (pending.length > 0 && failure === null) {
        if (lingerMs > 0) await linger();
        const run = pending;
        const last = pendingLast;
        pending = [];
        hurried = false;
        wake();
        try {
          await opts.onBatch(run);
          position = last;
        } catch (err) {
          failure = err;
          fetch?.stop();
        }
        // A slow taker is not a silent server.
        lastSignalAt = Date.now();
      }
      taking = null;
      wake();
    };
    while (!stopped && !stale && failure === null) {
      // A taker `waiting` messages behind: no more until it takes what waits (a slow taker is never
      // buried under a backlog held in memory: at most `waiting` and one pull wait besides the run
      // it takes), and then at once, so that the next pull arrives while it takes that run.
      while (pending.length >= waiting && taking !== null && !stopped && failure === null) {
        await new Promise<void>((r) => (grabbed = r));
      }
      if (stopped || failure !== null) break;
      try {
        fetch = await consumer.fetch({ max_messages: opts.batch, expires: 10_000, idle_heartbeat: heartbeatMs });
      } catch (err) {
        if (stopped) break;
        opts.onReset?.(String((err as Error)?.message ?? err));
        if (silent()) break;
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      const pull = fetch;
      // Stopped, or failed, while the pull was being made (a reset consumer is recreated first).
      if (stopped || failure !== null) {
        pull.stop();
        break;
      }
      current = pull;
      void (async () => {
        for await (const s of pull.status()) {
          if (s.type === 'heartbeat') lastSignalAt = Date.now();
          else if (s.type === 'heartbeats_missed' && taking === null) {
            // Two heartbeats missed: the consumer (or its node) is gone; make a new one now.
            stale = true;
            opts.onReset?.(s.type);
            pull.stop();
          } else if (s.type === 'reset' || s.type === 'heartbeats_missed') opts.onReset?.(s.type);
        }
      })().catch(() => undefined);
      const watchdog = setInterval(
        () => {
          if (taking === null && silent()) {
            stale = true;
            opts.onReset?.(`no message or heartbeat for ${Date.now() - lastSignalAt} ms`);
            pull.stop();
          }
        },
        Math.max(100, stallMs / 4),
      );
      try {
        for await (const m of pull) {
          lastSignalAt = Date.now();
          try {
            if (pending.length === 0) pendingSince = Date.now();
            pending.push(prepare(m));
            if (pending.length >= opts.batch) endLinger?.();
          } catch (err) {
            // A message skipped would be a gap: following fails instead, as when onBatch throws.
            failure ??= err;
            pull.stop();
            break;
          }
          pendingLast = m.seq;
          // Whatever arrived together goes over together.
          taking ??= new Promise<void>((r) => setImmediate(r)).then(take);
        }
      } catch (err) {
        if (!stopped) opts.onReset?.(String((err as Error)?.message ?? err));
      } finally {
        clearInterval(watchdog);
      }
      current = null;
    }
    // Everything that arrived is handed over before a new consumer starts after it.
    await taking;
    if (failure !== null) throw failure;
  };

  const done = run();
  done.catch(() => undefined);
  return {
    get position() {
      return position;
    },
    get lastSignalAt() {
      return lastSignalAt;
    },
    done,
    hurry,
    async stop() {
      stopped = true;
      endLinger?.();
      current?.stop();
      await done.catch(() => undefined);
    },
  };
}
