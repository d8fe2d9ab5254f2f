import type { LatencySummary } from '../lib/histogram.ts';

export type Size = 'small' | 'full';

export interface Capacity {
  /** Frames a second the generator reads from a server that only writes. */
  receivePerSecond: number;
  /** Messages a second it publishes to NATS. */
  publishPerSecond: number;
  /** Frames a second it writes to a server that only reads. */
  sendPerSecond: number;
}

export interface Ctx {
  size: Size;
  natsUrl: string;
  capacity: Capacity | null;
  log(msg: string): void;
  /** Runs when the whole bench run ends (for what scenarios share, such as a seeded dataset). */
  onFinish(fn: () => Promise<unknown>): void;
}

/** One line of the table: a figure of ours beside its same-run baseline. */
export interface Row {
  metric: string;
  ours: number | string;
  baseline?: number | string;
  baselineName?: string;
  /** ours / baseline (or as the target defines it). */
  ratio?: number;
  target?: string;
  met?: boolean;
  unit?: string;
}

export interface Correctness {
  ok: boolean;
  lost: number;
  duplicated: number;
  detail?: Record<string, unknown>;
}

export interface LoadStep {
  system: string;
  offered: number;
  achieved: number;
  latency: LatencySummary;
  lost: number;
  dups: number;
}

export interface ScenarioResult {
  id: number;
  name: string;
  rows: Row[];
  correctness: Correctness;
  /** The generator's capacity against the most it was asked for in this scenario. */
  generator?: { asked: number; capacity: number; ratio: number; ok: boolean; what: string };
  steps?: LoadStep[];
  notes?: string[];
  raw?: Record<string, unknown>;
}

export type Scenario = (ctx: Ctx) => Promise<ScenarioResult>;
