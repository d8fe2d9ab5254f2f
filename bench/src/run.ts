/**
 * `pnpm bench [--size small|full] [--readme]`, `BENCH_SCENARIOS=1,3` to pick scenarios.
 * Starts what it needs (fresh namespace and database on the local NATS and Postgres), runs the
 * scenarios one after the other, prints the table and writes bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { measureCapacity } from './lib/capacity.ts';
import { renderChart } from './report/chart.ts';
import { renderTable, updateReadme } from './report/table.ts';
import { SCENARIOS } from './scenarios/index.ts';
import type { Ctx, ScenarioResult, Size } from './scenarios/types.ts';

export interface Summary {
  date: string;
  command: string;
  size: Size;
  machine: { cpus: number; cpu: string; memoryGiB: number; node: string; os: string };
  capacity: Ctx['capacity'];
  durationSeconds: number;
  scenarios: ScenarioResult[];
  failed: { id: number; error: string }[];
}

export async function runBench(opts: { size: Size; scenarios: number[]; log?: (m: string) => void; capacitySeconds?: number }): Promise<Summary> {
  const started = performance.now();
  const log = opts.log ?? ((m: string) => console.error(`[bench] ${m}`));
  const finishers: (() => Promise<unknown>)[] = [];
  const ctx: Ctx = { size: opts.size, natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', capacity: null, log, onFinish: (fn) => finishers.push(fn) };
  if (opts.scenarios.some((id) => SCENARIOS[id]?.needsGenerator)) {
    // As many reading sockets as the fan-out holds: fewer, bigger reads would flatter the generator.
    ctx.capacity = await measureCapacity(ctx.natsUrl, opts.capacitySeconds ?? (opts.size === 'full' ? 3 : 1), opts.size === 'full' ? 2000 : 20);
    log(`generator capacity: ${JSON.stringify(ctx.capacity)}`);
  }
  const results: ScenarioResult[] = [];
  const failed: Summary['failed'] = [];
  for (const id of opts.scenarios) {
    const scenario = SCENARIOS[id];
    if (!scenario) throw new Error(`no scenario ${id}`);
    log(`scenario ${id}: ${scenario.name} (${opts.size})`);
    const t = performance.now();
    try {
      results.push(await scenario.run(ctx));
    } catch (err) {
      log(`scenario ${id} failed: ${(err as Error).stack ?? String(err)}`);
      failed.push({ id, error: String((err as Error).message ?? err) });
    }
    log(`scenario ${id} took ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  for (const fn of finishers.reverse()) await fn().catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
  return {
    date: new Date().toISOString(),
    command: `pnpm bench${opts.size === 'full' ? '' : ` --size ${opts.size}`}`,
    size: opts.size,
    machine: {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      os: `${os.type()} ${os.release()}`,
    },
    capacity: ctx.capacity,
    durationSeconds: Math.round((performance.now() - started) / 1000),
    scenarios: results,
    failed,
  };
}

async function main() {
  const args = process.argv.slice(2);
  const sizeArg = args.includes('--size') ? args[args.indexOf('--size') + 1] : 'full';
  if (sizeArg !== 'small' && sizeArg !== 'full') throw new Error('--size small|full');
  const every = Object.keys(SCENARIOS).map(Number);
  const picked = (process.env.BENCH_SCENARIOS ?? every.join(','))
    .split(',')
    .map((x) => Number(x.trim()))
    .filter(Boolean);
  const summary = await runBench({ size: sizeArg, scenarios: picked });
  const complete = sizeArg === 'full' && every.every((id) => picked.includes(id));
  if (!complete) summary.command = `BENCH_SCENARIOS=${picked.join(',')} ${summary.command}`;
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const table = renderTable(summary);
  // Only a full run of every scenario replaces the recorded results; others get files of their own.
  const suffix = complete ? '' : `-${sizeArg}${picked.length < every.length ? `-${picked.join('')}` : ''}`;
  writeFileSync(`${dir}latest${suffix}.json`, `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(`${dir}latest${suffix}.md`, table);
  const chart = renderChart(summary);
  if (chart) writeFileSync(`${dir}latency-vs-load${suffix}.svg`, chart);
  console.log(table);
  if (args.includes('--readme')) {
    if (!complete) throw new Error('--readme takes the table of a full run of every scenario');
    updateReadme(table);
  }
  process.exitCode = summary.failed.length ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
