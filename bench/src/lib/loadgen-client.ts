import { Histogram, type LatencySummary } from './histogram.ts';
import { type Child, forkTs } from './proc.ts';

export interface PhaseStats {
  received: number;
  expected: number;
  lost: number;
  dups: number;
  extra: number;
  errors: number;
  errorSamples: string[];
  closed: number;
  sockets: number;
  activeMs: number;
  latency: LatencySummary;
  hist: Histogram;
}

export interface OpenResult {
  opened: number;
  failed: number;
  ms: number;
  connectMs: LatencySummary;
  failures: string[];
}

/** The runner's handle on a load generator process. */
export class Loadgen {
  private constructor(readonly child: Child) {}

  static start(): Loadgen {
    return new Loadgen(forkTs('loadgen.ts'));
  }

  open(conns: { url: string; group: string }[], opts: { proto?: 'ws' | 'sio'; concurrency?: number; timeoutMs?: number } = {}): Promise<OpenResult> {
    return this.child.call('open', { conns, ...opts });
  }

  async stats(): Promise<PhaseStats> {
    return toStats(await this.child.call('stats'));
  }

  async settle(quietMs = 1000, timeoutMs = 15_000): Promise<PhaseStats> {
    return toStats(await this.child.call('settle', { quietMs, timeoutMs }));
  }

  call<T = any>(cmd: string, args: unknown = {}, timeoutMs?: number): Promise<T> {
    return this.child.call<T>(cmd, args, timeoutMs);
  }

  async stop(): Promise<void> {
    await this.child.call('stop', {}, 5000).catch(() => undefined);
    await this.child.stop();
  }
}

function toStats(raw: any): PhaseStats {
  const hist = Histogram.fromJSON(raw.hist);
  return { ...raw, hist, latency: hist.summary() };
}
