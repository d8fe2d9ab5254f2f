import { Loadgen } from '../lib/loadgen-client.ts';
import { round } from '../lib/histogram.ts';
import { anonymousOf, type Child, forkTs, sleep } from '../lib/proc.ts';
import { System } from '../lib/system.ts';
import type { Ctx, Row, ScenarioResult } from './types.ts';

const SIZES = { small: { sockets: 200, rooms: 10, samples: 1, runs: 1 }, full: { sockets: 10_000, rooms: 10, samples: 3, runs: 3 } };

const GW_ONE = 'gateway /ws, 1 subscription';
const GW_TEN = 'gateway /ws, 10 subscriptions';
const GW_SEED = 'gateway /ws/{room}/{user}';
const BARE = 'bare uWS';
const SIO = 'Socket.IO';

interface Measured {
  perSocket: number;
  heapPerSocket: number;
  opened: number;
  failed: number;
  openMs: number;
}
interface Conn {
  url: string;
  subscribe?: string[];
}

/** The run with the median resident growth (its other figures with it). */
const median = (runs: Measured[]): Measured => [...runs].sort((a, b) => a.perSocket - b.perSocket)[Math.floor(runs.length / 2)]!;

/**
 * Settled memory of a server process: garbage collected first (each server runs with
 * --expose-gc and answers `memory`), then the lowest anonymous resident size of a few samples a
 * second apart (`anonymousOf`: not the pages of its code, which this machine's kernel pages out as
 * it likes); with the JS heap in use for the breakdown.
 */
async function settled(server: Child, samples: number): Promise<{ anon: number; heapUsed: number; heapTotal: number; external: number }> {
  let anon = Infinity;
  let heapUsed = Infinity;
  let heapTotal = Infinity;
  let external = Infinity;
  for (let i = 0; i < samples; i++) {
    await sleep(1000);
    const m = await server.call<NodeJS.MemoryUsage>('memory');
    heapUsed = Math.min(heapUsed, m.heapUsed);
    heapTotal = Math.min(heapTotal, m.heapTotal);
    external = Math.min(external, m.external);
    anon = Math.min(anon, anonymousOf(server.pid));
  }
  return { anon, heapUsed, heapTotal, external };
}

/**
 * 3. Connections: N idle sockets on one fresh server process; memory per socket is the growth of
 * its anonymous resident memory (from its own /proc entry) divided by N, with the JS heap after GC
 * beside it.
 * The gateway's multiplexed socket with one subscription and with ten, against a bare uWS server
 * whose sockets each join one topic, three runs each (the median); then the seed's one-room socket
 * against Socket.IO, once. Every socket counts as open when it is subscribed (`subscribed` frames).
 */
export async function connections(ctx: Ctx): Promise<ScenarioResult> {
  const size = SIZES[ctx.size];
  const sys = await System.create();
  const runs: Record<string, Measured[]> = {};
  try {
    await sys.startAll();
    const rooms = Array.from({ length: size.rooms }, (_, i) => `idle${i}`);
    const users = await sys.registerUsers(Math.ceil(size.sockets / 500), 'idle');
    await sys.joinAll(users, rooms);
    const mux = (i: number) => `${sys.wsUrl}/ws?token=${users[i % users.length]!.token}`;

    /** One run: a fresh server process, warmed, then `size.sockets` sockets opened by a fresh generator. */
    const measure = async (
      name: string,
      start: () => Promise<{ server: Child; stop: () => Promise<void> }>,
      conn: (i: number) => Conn,
      proto: 'ws' | 'sio' = 'ws',
    ) => {
      const { server, stop } = await start();
      const gen = Loadgen.start();
      try {
        // Warm the server with a few sockets first, so lazily loaded code is not counted per socket.
        await gen.open(
          Array.from({ length: 20 }, (_, i) => ({ ...conn(i), group: 'warm' })),
          { proto },
        );
        const before = await settled(server, size.samples);
        const conns = Array.from({ length: size.sockets }, (_, i) => ({ ...conn(i), group: rooms[i % rooms.length]! }));
        const opened = await gen.open(conns, { proto, concurrency: 200, timeoutMs: 120_000 });
        const after = await settled(server, size.samples);
        const n = Math.max(1, opened.opened);
        const run: Measured = {
          perSocket: Math.round((after.anon - before.anon) / n),
          heapPerSocket: Math.round((after.heapUsed - before.heapUsed) / n),
          opened: opened.opened,
          failed: opened.failed,
          openMs: Math.round(opened.ms),
        };
        runs[name] = [...(runs[name] ?? []), run];
        const per = (a: number, b: number) => Math.round((a - b) / n);
        ctx.log(
          `connections ${name}: ${run.opened} open (${run.failed} failed) in ${run.openMs} ms; ${run.perSocket} B/socket anonymous RSS, ${run.heapPerSocket} B/socket JS heap ` +
            `(heap committed ${per(after.heapTotal, before.heapTotal)}, external ${per(after.external, before.external)}) ${opened.failures.join('; ')}`,
        );
      } finally {
        await gen.stop();
        await stop();
      }
    };

    const gateway = async () => {
      const g = await sys.restartGateway();
      return { server: g.child, stop: async () => undefined };
    };
    const forked = (file: string) => async () => {
      const server = forkTs(file);
      return { server, stop: () => server.stop() };
    };
    let barePort = 0;
    const bare = async () => {
      const started = await forked('servers/bare-uws.ts')();
      barePort = (await started.server.call<{ port: number }>('port')).port;
      return started;
    };
    // Resident memory moves between runs: each figure is the median of `size.runs` fresh processes.
    for (let run = 0; run < size.runs; run++) {
      await measure(GW_ONE, gateway, (i) => ({ url: mux(i), subscribe: [rooms[i % rooms.length]!] }));
      await measure(GW_TEN, gateway, (i) => ({ url: mux(i), subscribe: rooms.slice(0, 10) }));
      await measure(BARE, bare, (i) => ({ url: `ws://127.0.0.1:${barePort}/room/${rooms[i % rooms.length]}` }));
    }
    await measure(GW_SEED, gateway, (i) => ({ url: sys.wsPath(rooms[i % rooms.length]!, users[i % users.length]!) }));
    let sioPort = 0;
    await measure(
      SIO,
      async () => {
        const started = await forked('servers/socketio.ts')();
        sioPort = (await started.server.call<{ port: number }>('port')).port;
        return started;
      },
      (i) => ({ url: `ws://127.0.0.1:${sioPort}/socket.io/?EIO=4&transport=websocket&room=${rooms[i % rooms.length]}&user=u${i}` }),
      'sio',
    );
  } finally {
    await sys.stop();
  }
  const m = (name: string) => median(runs[name]!);
  const one = m(GW_ONE);
  const ten = m(GW_TEN);
  const bare = m(BARE);
  const seed = m(GW_SEED);
  const sio = m(SIO);
  const n = size.sockets.toLocaleString('en-US');
  const rows: Row[] = [
    {
      metric: `memory per idle socket on /ws with 1 subscription, ${n} sockets (bytes anonymous RSS, median of ${size.runs})`,
      ours: one.perSocket,
      baseline: bare.perSocket,
      baselineName: 'bare uWS',
      ratio: round(one.perSocket / bare.perSocket, 2),
      target: '≤ 1.5×',
      // Growth at or below zero is no measurement (memory the process gave back meanwhile): not met.
      met: one.perSocket > 0 && bare.perSocket > 0 && one.perSocket <= 1.5 * bare.perSocket,
    },
    {
      metric: '… of which JS heap after GC (bytes)',
      ours: one.heapPerSocket,
      baseline: bare.heapPerSocket,
      baselineName: 'bare uWS',
      ratio: round(one.heapPerSocket / Math.max(1, bare.heapPerSocket), 2),
      target: '≤ 3×',
      met: one.heapPerSocket <= 3 * bare.heapPerSocket,
    },
    {
      metric: 'memory per idle socket on /ws with 10 subscriptions (bytes RSS · JS heap)',
      ours: `${ten.perSocket} · ${ten.heapPerSocket}`,
      baseline: `${bare.perSocket} · ${bare.heapPerSocket}`,
      baselineName: 'bare uWS, one room',
      ratio: round(ten.perSocket / bare.perSocket, 2),
    },
    {
      metric: `time to open ${n} sockets, 200 at a time, each subscribed (ms, median)`,
      ours: one.openMs,
      baseline: bare.openMs,
      baselineName: 'bare uWS',
      ratio: round(one.openMs / bare.openMs, 2),
      target: '≤ 2×',
      met: one.openMs <= 2 * bare.openMs,
    },
    {
      metric: "the seed's one-room socket: memory per socket (bytes RSS · JS heap) · time to open (ms)",
      ours: `${seed.perSocket} · ${seed.heapPerSocket} · ${seed.openMs}`,
      baseline: `${sio.perSocket} · ${sio.heapPerSocket} · ${sio.openMs}`,
      baselineName: 'Socket.IO',
      ratio: round(seed.perSocket / sio.perSocket, 2),
    },
  ];
  const failed = Object.values(runs)
    .flat()
    .reduce((sum, r) => sum + r.failed, 0);
  return {
    id: 3,
    name: 'Connections',
    rows,
    correctness: { ok: failed === 0, lost: failed, duplicated: 0, detail: { failedToOpen: failed } },
    raw: runs,
  };
}
