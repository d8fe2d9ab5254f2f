import type { Summary } from '../run.ts';
import type { LoadStep } from '../scenarios/types.ts';

const W = 460;
const H = 300;
const PAD = { l: 60, r: 16, t: 34, b: 46 };
const COLORS = ['#d1495b', '#00798c', '#edae49', '#30638e'];

function panel(title: string, steps: LoadStep[], x0: number, limitMs?: number): string {
  const systems = [...new Set(steps.map((s) => s.system))];
  const xs = steps.map((s) => s.offered);
  const ys = steps.flatMap((s) => [s.latency.p50, s.latency.p99]).filter((v) => v > 0 && Number.isFinite(v));
  const xMax = Math.max(...xs) * 1.05;
  const yMin = Math.min(...ys) / 1.5;
  const yMax = Math.max(...ys, limitMs ?? 0) * 1.5;
  const px = (x: number) => x0 + PAD.l + (x / xMax) * (W - PAD.l - PAD.r);
  const py = (y: number) => PAD.t + (1 - Math.log(y / yMin) / Math.log(yMax / yMin)) * (H - PAD.t - PAD.b);
  const out: string[] = [];
  out.push(`<text x="${x0 + W / 2}" y="18" text-anchor="middle" font-weight="bold">${title}</text>`);
  out.push(`<line x1="${px(0)}" y1="${H - PAD.b}" x2="${x0 + W - PAD.r}" y2="${H - PAD.b}" stroke="#333"/>`);
  out.push(`<line x1="${px(0)}" y1="${PAD.t}" x2="${px(0)}" y2="${H - PAD.b}" stroke="#333"/>`);
  for (let e = Math.floor(Math.log10(yMin)); e <= Math.ceil(Math.log10(yMax)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v < yMin || v > yMax) continue;
      out.push(`<line x1="${px(0)}" y1="${py(v)}" x2="${x0 + W - PAD.r}" y2="${py(v)}" stroke="#ddd"/>`);
      out.push(`<text x="${px(0) - 4}" y="${py(v) + 4}" text-anchor="end">${v}</text>`);
    }
  }
  for (let i = 0; i <= 4; i++) {
    const v = (xMax / 1.05) * (i / 4);
    out.push(`<text x="${px(v)}" y="${H - PAD.b + 16}" text-anchor="middle">${v >= 1000 ? `${Math.round(v / 1000)}k` : Math.round(v)}</text>`);
  }
  out.push(`<text x="${x0 + W / 2}" y="${H - 8}" text-anchor="middle">offered deliveries/s</text>`);
  out.push(`<text transform="translate(${x0 + 14},${H / 2}) rotate(-90)" text-anchor="middle">latency ms (log)</text>`);
  if (limitMs) {
    out.push(`<line x1="${px(0)}" y1="${py(limitMs)}" x2="${x0 + W - PAD.r}" y2="${py(limitMs)}" stroke="#888" stroke-dasharray="2 4"/>`);
    out.push(`<text x="${x0 + W - PAD.r - 4}" y="${py(limitMs) - 4}" text-anchor="end" fill="#666">p99 limit: 5× the floor (${limitMs} ms)</text>`);
  }
  systems.forEach((name, i) => {
    const own = steps.filter((s) => s.system === name).sort((a, b) => a.offered - b.offered);
    for (const [key, dash] of [
      ['p99', ''],
      ['p50', ' stroke-dasharray="4 3"'],
    ] as const) {
      const pts = own.filter((s) => s.latency[key] > 0).map((s) => `${px(s.offered).toFixed(1)},${py(s.latency[key]).toFixed(1)}`);
      out.push(`<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"${dash} points="${pts.join(' ')}"/>`);
      for (const p of pts) out.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${COLORS[i % COLORS.length]}"/>`);
    }
    out.push(`<text x="${px(0) + 8}" y="${PAD.t + 14 + i * 14}" fill="${COLORS[i % COLORS.length]}">${name} (solid p99, dashed p50)</text>`);
  });
  return out.join('\n');
}

/** Latency against load for the scenarios that step the load (fan-out, end to end), as SVG. */
export function renderChart(summary: Summary): string | null {
  const panels = summary.scenarios.filter((s) => s.steps && s.steps.length > 0);
  if (panels.length === 0) return null;
  const width = W * panels.length;
  const body = panels.map((s, i) => panel(`${s.id}. ${s.name}`, s.steps!, i * W, s.raw?.limitMs as number | undefined)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H}" font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}
