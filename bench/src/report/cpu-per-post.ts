/**
 * `tsx bench/src/report/cpu-per-post.ts [rate ...]`: where a post's CPU goes. Runs the system as
 * scenario 2 does (room + profile, projection and gateway in a process each; 10 rooms × 20 members
 * on the gateway's sockets), posts at each rate for 6 s after a warm-up at the first rate, and
 * prints, per process (and for NATS and all of Postgres), the share of a core it used and its CPU
 * time per post, read from the scheduler's accounting, with the latency the generator saw.
 * Posts per second default to 200, 400 and 800.
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Loadgen } from '../lib/loadgen-client.ts';
import { runTimeMsOf } from '../lib/proc.ts';
import { System } from '../lib/system.ts';

const STEP_MS = 6000;
const rates = process.argv.slice(2).map(Number);
if (rates.length === 0) rates.push(200, 400, 800);
if (rates.some((r) => !(r > 0))) throw new Error('usage: cpu-per-post.ts [posts per second ...]');

const pidsOf = (cmd: string) => execSync(`${cmd} || true`).toString().trim().split(/\s+/).filter(Boolean).map(Number);
const runTime = (pids: number[]) => pids.reduce((sum, pid) => sum + (tryRunTime(pid) ?? 0), 0);
const tryRunTime = (pid: number) => {
  try {
    return runTimeMsOf(pid);
  } catch {
    return null;
  }
};
/** Busy and total jiffies of the whole machine. */
const machine = () => {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  return { busy: f[0]! + f[1]! + f[2]! + f[5]! + f[6]!, all: f.reduce((a, b) => a + b, 0) };
};

const sys = await System.create();
const gen = Loadgen.start();
try {
  await sys.startAll();
  const rooms = Array.from({ length: 10 }, (_, i) => `cpu${i}`);
  const users = await sys.registerUsers(20, 'cpu');
  await sys.joinAll(users, rooms);
  const opened = await gen.open(
    rooms.flatMap((r) => users.map((u) => ({ url: sys.wsPath(r, u), group: `gw:${r}` }))),
    { proto: 'ws' },
  );
  if (opened.failed) throw new Error(`sockets failed: ${opened.failures.join('; ')}`);
  const [roomHost, projectionHost, gatewayHost] = sys.hosts;
  const processes: Record<string, () => number[]> = {
    'room + profile': () => [roomHost!.pid],
    projection: () => [projectionHost!.pid],
    gateway: () => [gatewayHost!.pid],
    'load generator': () => [gen.child.pid],
    'NATS server': () => pidsOf('pidof nats-server'),
    'Postgres (all)': () => pidsOf('pgrep -u postgres postgres'),
  };
  // Warm-up: a fresh process spends a quarter of its CPU in the JIT for its first seconds.
  await gen.call('post', { rate: rates[0], durationMs: STEP_MS, proto: 'ws' });
  await gen.settle(2000, 30_000);
  for (const rate of rates) {
    await gen.call('reset');
    const pids = Object.fromEntries(Object.entries(processes).map(([name, of]) => [name, of()]));
    const before = Object.fromEntries(Object.entries(pids).map(([name, p]) => [name, runTime(p)]));
    const m0 = machine();
    const t0 = performance.now();
    const run = await gen.call<{ sent: number; ms: number }>('post', { rate, durationMs: STEP_MS, proto: 'ws' });
    const ms = performance.now() - t0;
    const m1 = machine();
    const used = Object.fromEntries(Object.entries(pids).map(([name, p]) => [name, runTime(p) - before[name]!]));
    const st = await gen.settle(2000, 30_000);
    const total = Object.values(used).reduce((a, b) => a + b, 0);
    console.log(
      `${rate} posts/s: p50 ${st.latency.p50} ms, p99 ${st.latency.p99} ms, lost ${st.lost}; machine ${Math.round((100 * (m1.busy - m0.busy)) / (m1.all - m0.all))} % busy; these processes ${Math.round((1000 * total) / run.sent)} µs of CPU per post`,
    );
    for (const [name, cpu] of Object.entries(used)) {
      console.log(
        `  ${name.padEnd(16)} ${String(Math.round((100 * cpu) / ms)).padStart(3)} % of a core  ${String(Math.round((1000 * cpu) / run.sent)).padStart(5)} µs per post`,
      );
    }
  }
} finally {
  await gen.stop();
  await sys.stop();
}
