import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Summary } from '../run.ts';

const fmt = (v: number | string | undefined): string =>
  v === undefined ? '' : typeof v === 'number' ? (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(v)) : v;

/** The Markdown table of a run: each figure beside its same-run baseline, the ratio and the target. */
export function renderTable(summary: Summary): string {
  const m = summary.machine;
  const lines = [
    `Machine: ${m.cpus} × ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}. Date: ${summary.date.slice(0, 10)}. ` +
      `Command: \`${summary.command}\` (${summary.durationSeconds} s).`,
    '',
    '| # | scenario | metric | ours | same-run baseline | ratio | target | met |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const s of summary.scenarios) {
    for (const r of s.rows) {
      const baseline = r.baseline === undefined ? '' : `${fmt(r.baseline)}${r.baselineName ? ` (${r.baselineName})` : ''}`;
      const met = r.met === undefined ? '' : r.met ? 'yes' : '**no**';
      lines.push(
        `| ${s.id} | ${s.name} | ${r.metric} | ${fmt(r.ours)} | ${baseline} | ${r.ratio === undefined ? '' : `${r.ratio}×`} | ${r.target ?? ''} | ${met} |`,
      );
    }
  }
  lines.push('', '| # | nothing lost, nothing duplicated | load generator: capacity / most asked (≥ 2 needed) |', '|---|---|---|');
  for (const s of summary.scenarios) {
    const c = s.correctness;
    const g = s.generator;
    lines.push(
      `| ${s.id} | ${c.ok ? 'yes' : `**no**: lost ${c.lost}, duplicated ${c.duplicated}`} | ${g ? `${g.ratio}× (${fmt(g.capacity)} / ${fmt(g.asked)} ${g.what})${g.ok ? '' : ' **below 2×**'}` : 'n/a'} |`,
    );
  }
  for (const f of summary.failed) lines.push('', `Scenario ${f.id} failed: ${f.error}`);
  const notes = summary.scenarios.flatMap((s) => (s.notes ?? []).map((n) => `- ${s.id}. ${n}`));
  if (notes.length) lines.push('', ...notes);
  return `${lines.join('\n')}\n`;
}

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
const START = '<!-- bench:table:start -->';
const END = '<!-- bench:table:end -->';

/** Replaces the table between the markers in the README's Benchmarks section. */
export function updateReadme(table: string): void {
  const text = readFileSync(README, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README has no ${START} … ${END} markers`);
  writeFileSync(README, `${text.slice(0, a + START.length)}\n${table}${text.slice(b)}`);
}
