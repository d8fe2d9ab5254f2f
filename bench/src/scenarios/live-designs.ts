import { connect, jetstream } from '@chat/bus';
import { Histogram, round } from '../lib/histogram.ts';
import { forkTs, sleep } from '../lib/proc.ts';
import { RawSocket } from '../lib/raw-ws.ts';
import { System } from '../lib/system.ts';
import type { Ctx, ScenarioResult } from './types.ts';

const SIZES = { small: { n: 30 }, full: { n: 400 } };

const DESIGNS = {
  'follow-log': 'gateways follow the log (ordered consumer → uWS topic); chosen',
  'after-ack': 'the appender publishes the frame after the JetStream ack (→ NATS → uWS topic)',
  projection: 'the projection publishes after its Postgres commit (consumer → commit → NATS → uWS topic)',
} as const;
type Design = keyof typeof DESIGNS;

/**
 * 7. Live path designs: how long one event takes from its append (before the JetStream publish)
 * to its frame on a socket, for three designs built small side by side in one process
 * (bench/src/servers/live-designs.ts), one event at a time, interleaved so that they share the
 * machine's noise. What is measured is the design's path, not the services around it: the
 * end-to-end figures of the real system are scenario 2's.
 */
export async function liveDesigns(ctx: Ctx): Promise<ScenarioResult> {
  const { n } = SIZES[ctx.size];
  const sys = await System.create();
  const server = forkTs('servers/live-designs.ts');
  const nc = await connect({ servers: sys.env.natsUrl, name: 'bench-live-designs-client', noAsyncTraces: true });
  let ws: RawSocket | null = null;
  try {
    const ns = sys.env.namespace;
    const { liveSubject } = await server.call<{ liveSubject: string }>('start', { natsUrl: sys.env.natsUrl, databaseUrl: sys.env.databaseUrl, ns });
    const { port } = await server.call<{ port: number }>('port');
    let waitingFor = '';
    let arrived: (() => void) | null = null;
    const seen = new Map<string, number>();
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    ws = await RawSocket.open(`ws://127.0.0.1:${port}/room`, {
      onMessage: (s, start, end) => {
        const frame = s.slice(start, end);
        if (frame.includes('"type":"ready"')) return ready();
        const at = frame.indexOf('"probe":"');
        if (at < 0) return;
        const id = frame.slice(at + 9, frame.indexOf('"', at + 9));
        seen.set(id, (seen.get(id) ?? 0) + 1);
        if (id === waitingFor) arrived?.();
      },
    });
    await isReady;
    const js = jetstream(nc);
    const enc = new TextEncoder();
    const hist = Object.fromEntries(Object.keys(DESIGNS).map((d) => [d, new Histogram()])) as Record<Design, Histogram>;
    const designs = Object.keys(DESIGNS) as Design[];
    const warmup = 20;
    for (let i = -warmup; i < n; i++) {
      for (const design of designs) {
        const id = `${design}:${i}`;
        const payload = enc.encode(JSON.stringify({ type: 'MessagePosted', content: 'hello', probe: id }));
        waitingFor = id;
        let timer: NodeJS.Timeout | undefined;
        const delivered = new Promise<void>((resolve, reject) => {
          arrived = resolve;
          timer = setTimeout(() => reject(new Error(`live designs: ${id} never arrived`)), 5000);
        });
        const t0 = performance.now();
        const ack = await js.publish(`${ns}_${design}.room`, payload);
        if (design === 'after-ack') nc.publish(liveSubject, `{"type":"message","seq":${ack.seq},"event":${JSON.stringify({ probe: id })}}`);
        await delivered.finally(() => clearTimeout(timer));
        if (i >= 0) hist[design].record(performance.now() - t0);
        await sleep(2);
      }
    }
    await sleep(200);
    const expected = (n + warmup) * designs.length;
    const dups = [...seen.values()].filter((c) => c > 1).length;
    const lost = expected - seen.size;
    const chosen = hist['follow-log'].summary();
    return {
      id: 7,
      name: 'Live path designs',
      rows: designs.map((d) => {
        const h = hist[d].summary();
        return {
          metric: `append → frame on a socket, p50 / p99 ms: ${DESIGNS[d]}`,
          ours: `${h.p50} / ${h.p99}`,
          baseline: d === 'follow-log' ? undefined : `${chosen.p50} / ${chosen.p99}`,
          baselineName: d === 'follow-log' ? undefined : 'follow-log',
          ratio: round(h.p50 / chosen.p50, 2),
        };
      }),
      correctness: { ok: lost === 0 && dups === 0, lost, duplicated: dups },
      raw: Object.fromEntries(designs.map((d) => [d, hist[d].summary()])),
    };
  } finally {
    ws?.destroy();
    await server.call('stop').catch(() => undefined);
    await server.stop();
    await nc.close();
    await sys.stop();
  }
}
