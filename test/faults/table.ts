/**
 * The README's "Faults" table from a fault run's results (test/faults/results/latest.json, or the
 * file named): `tsx test/faults/table.ts [results.json]`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ScenarioResult } from './support/scenario.ts';

const file = process.argv[2] ?? fileURLToPath(new URL('./results/latest.json', import.meta.url));
const results = JSON.parse(readFileSync(file, 'utf8')) as ScenarioResult[];
const rows = results.map((r) => [
  r.scenario,
  String(r.acked),
  String(r.lost),
  String(r.duplicated),
  String(r.recovery_s),
  `${r.recovery.acked_s} / ${r.recovery.history_s} / ${r.recovery.live_s}`,
  [
    r.seqMismatch ? `${r.seqMismatch} seq mismatches` : '',
    r.missedLive ? `${r.missedLive} live missed` : '',
    r.resumes ? `${r.resumes} sockets resumed` : '',
    r.unacked ? `${r.unacked} never acked` : '',
  ]
    .filter(Boolean)
    .join(', '),
]);
const head = ['scenario', 'acked', 'lost', 'duplicated', 'recovery s', 'acked / history / live s', 'notes'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log([line(head), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n'));
console.log(`\n${results[0]?.nats_server ?? ''}, ${results[0]?.at.slice(0, 10) ?? ''}`);
