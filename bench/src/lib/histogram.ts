/**
 * Latencies in log-spaced buckets (1 % apart, from 1 µs to ~10 min): constant memory whatever the
 * count, percentiles within 1 %, and histograms from several processes merge by adding buckets.
 */
const GROWTH = 1.01;
const MIN_MS = 0.001;
const BUCKETS = Math.ceil(Math.log(600_000 / MIN_MS) / Math.log(GROWTH)) + 1;
const LOG_GROWTH = Math.log(GROWTH);

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  record(ms: number): void {
    const v = Math.max(ms, MIN_MS);
    const i = Math.min(BUCKETS - 1, Math.floor(Math.log(v / MIN_MS) / LOG_GROWTH));
    this.counts[i]!++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  merge(other: { counts: ArrayLike<number>; count: number; sum: number; max: number }): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
  }

  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      // The bucket's upper edge: a percentile is never reported lower than it was.
      if (seen >= rank) return Math.min(this.max, MIN_MS * GROWTH ** (i + 1));
    }
    return this.max;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      p50: round(this.percentile(50)),
      p99: round(this.percentile(99)),
      p999: round(this.percentile(99.9)),
      max: round(this.max),
      mean: round(this.count ? this.sum / this.count : NaN),
    };
  }

  /** Sparse form for sending between processes. */
  toJSON(): { buckets: [number, number][]; count: number; sum: number; max: number } {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]) buckets.push([i, this.counts[i]!]);
    return { buckets, count: this.count, sum: this.sum, max: this.max };
  }

  static fromJSON(j: ReturnType<Histogram['toJSON']>): Histogram {
    const h = new Histogram();
    for (const [i, n] of j.buckets) h.counts[i] = n;
    h.count = j.count;
    h.sum = j.sum;
    h.max = j.max;
    return h;
  }
}

export const round = (x: number, digits = 3): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

/** Times `n` sequential runs of `fn`, after `warmup` untimed ones, `gapMs` apart (untimed). */
export async function timeEach(n: number, fn: (i: number) => Promise<unknown>, warmup = Math.min(20, n), gapMs = 0): Promise<Histogram> {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const h = new Histogram();
  for (let i = 0; i < n; i++) {
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    const t = performance.now();
    await fn(i);
    h.record(performance.now() - t);
  }
  return h;
}
