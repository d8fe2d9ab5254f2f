/**
 * `tsx bench/src/report/top.ts <dir>`: for each .cpuprofile written under BENCH_CPU_PROF=<dir>
 * (one per bench child process), how busy the process was and where its CPU went (self time).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

const dir = process.argv[2];
if (!dir) throw new Error('usage: top.ts <dir of .cpuprofile files>');
const limit = Number(process.argv[3] ?? 12);
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .sort()) {
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const cf = byId.get(id)!.callFrame;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url.split('/').slice(-2).join('/')}`;
    const dt = p.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const idle = self.get('(idle) ') ?? 0;
  if (total - idle < 200_000) continue; // under 0.2 s of CPU: not worth a line
  console.log(`\n${file}: ${(total / 1e6).toFixed(1)} s sampled, busy ${(100 * (1 - idle / total)).toFixed(0)} %`);
  for (const [k, v] of [...self]
    .filter(([k]) => k !== '(idle) ')
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)) {
    console.log(`  ${(v / 1e3).toFixed(0).padStart(7)} ms  ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
  }
}
