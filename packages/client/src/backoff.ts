export interface BackoffOptions {
  /** The first step, in ms; each failed attempt doubles it. */
  baseMs: number;
  /** No step grows past this. */
  maxMs: number;
}

/** Reconnecting: never more than 5 s between tries, so a gateway that is back is noticed at once. */
export const RECONNECT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 5_000 };
export const RETRY_BACKOFF: BackoffOptions = { baseMs: 300, maxMs: 8_000 };

/**
 * The wait before attempt `attempt` (0-based): "equal jitter". The exponential step is
 * min(max, base * 2^attempt); the wait is half of it plus a random share of the other half. The
 * fixed half keeps a flapping link from spinning; the random half spreads out the thousands of
 * clients that a gateway restart disconnects at the same instant, so they do not all come back
 * at the same instant too.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = RECONNECT_BACKOFF, random: () => number = Math.random): number {
  const step = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(step / 2 + random() * (step / 2));
}

/** Counts consecutive failures; `next()` is the wait before the next try. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly opts: BackoffOptions = RECONNECT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  get attempts(): number {
    return this.attempt;
  }

  next(): number {
    return backoffDelay(this.attempt++, this.opts, this.random);
  }

  reset(): void {
    this.attempt = 0;
  }
}
