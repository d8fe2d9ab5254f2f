import { Loadgen } from '../lib/loadgen-client.ts';
import { round } from '../lib/histogram.ts';
import { type Child, forkTs, rssOf, sleep } from '../lib/proc.ts';
import { System } from '../lib/system.ts';
import type { Ctx, Row, ScenarioResult } from './types.ts';

const SIZES = { small: { sockets: 200, rooms: 4, samples: 1 }, full: { sockets: 10_000, rooms: 10, samples: 3 } };

/**
 * Settled memory of a server process: garbage collected first (each server runs with
 * --expose-gc and answers `memory`), then the lowest resident size of a few samples a second
 * apart; with the JS heap in use for the breakdown.
 */
async function settled(server: Child, samples: number): Promise<{ rss: number; heapUsed: number }> {
  let rss = Infinity;
  let heapUsed = Infinity;
  for (let i = 0; i < samples; i++) {
    await sleep(1000);
    const m = await server.call<NodeJS.MemoryUsage>('memory');
    heapUsed = Math.min(heapUsed, m.heapUsed);
    rss = Math.min(rss, rssOf(server.pid));
  }
  return { rss, heapUsed };
}

/**
 * 3. Connections: N idle sockets on one server; memory per socket is the growth of the server
 * process's resident memory (from its own /proc entry) divided by N, for the gateway, a bare uWS
 * server and a Socket.IO server, each opened by the same generator.
 */
export async function connections(ctx: Ctx): Promise<ScenarioResult> {
  const size = SIZES[ctx.size];
  const sys = await System.create();
  const results: Record<
    string,
    { perSocket: number; heapPerSocket: number; opened: number; failed: number; openMs: number; rssBefore: number; rssAfter: number }
  > = {};
  try {
    await sys.startAll();
    const rooms = Array.from({ length: size.rooms }, (_, i) => `idle${i}`);
    const users = await sys.registerUsers(Math.ceil(size.sockets / 500), 'idle');
    await sys.joinAll(users, rooms);

    const measure = async (name: string, server: Child, url: (i: number) => string, proto: 'ws' | 'sio' = 'ws') => {
      const gen = Loadgen.start();
      try {
        // Warm the server with a few sockets first, so lazily loaded code is not counted per socket.
        await gen.open(
          Array.from({ length: 20 }, (_, i) => ({ url: url(i), group: 'warm' })),
          { proto },
        );
        const before = await settled(server, size.samples);
        const conns = Array.from({ length: size.sockets }, (_, i) => ({ url: url(i), group: rooms[i % rooms.length]! }));
        const opened = await gen.open(conns, { proto, concurrency: 200, timeoutMs: 120_000 });
        const after = await settled(server, size.samples);
        const n = Math.max(1, opened.opened);
        const perSocket = (after.rss - before.rss) / n;
        const heapPerSocket = (after.heapUsed - before.heapUsed) / n;
        results[name] = {
          perSocket: Math.round(perSocket),
          heapPerSocket: Math.round(heapPerSocket),
          opened: opened.opened,
          failed: opened.failed,
          openMs: Math.round(opened.ms),
          rssBefore: before.rss,
          rssAfter: after.rss,
        };
        ctx.log(
          `connections ${name}: ${opened.opened} open (${opened.failed} failed) in ${Math.round(opened.ms)} ms; ${Math.round(perSocket)} B/socket RSS, ${Math.round(heapPerSocket)} B/socket JS heap ${opened.failures.join('; ')}`,
        );
      } finally {
        await gen.stop();
      }
    };

    await measure('gateway', sys.gateway!.child, (i) => sys.wsPath(rooms[i % rooms.length]!, users[i % users.length]!));
    const bare = forkTs('servers/bare-uws.ts');
    try {
      const { port } = await bare.call<{ port: number }>('port');
      await measure('bare uWS', bare, (i) => `ws://127.0.0.1:${port}/room/${rooms[i % rooms.length]}`);
    } finally {
      await bare.stop();
    }
    const sio = forkTs('servers/socketio.ts');
    try {
      const { port } = await sio.call<{ port: number }>('port');
      await measure('Socket.IO', sio, (i) => `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket&room=${rooms[i % rooms.length]}&user=u${i}`, 'sio');
    } finally {
      await sio.stop();
    }
  } finally {
    await sys.stop();
  }
  const gw = results.gateway!;
  const bare = results['bare uWS']!;
  const sio = results['Socket.IO']!;
  const ratio = gw.perSocket / bare.perSocket;
  const rows: Row[] = [
    {
      metric: `memory per idle socket, ${size.sockets.toLocaleString('en-US')} sockets (bytes RSS)`,
      ours: gw.perSocket,
      baseline: bare.perSocket,
      baselineName: 'bare uWS',
      ratio: round(ratio, 2),
      target: '≤ 1.5×',
      met: ratio <= 1.5,
    },
    {
      metric: 'memory per idle socket vs the peer (bytes RSS)',
      ours: gw.perSocket,
      baseline: sio.perSocket,
      baselineName: 'Socket.IO',
      ratio: round(gw.perSocket / sio.perSocket, 2),
    },
    { metric: 'of which JS heap per socket (bytes, after GC)', ours: gw.heapPerSocket, baseline: bare.heapPerSocket, baselineName: 'bare uWS' },
    {
      metric: `time to open ${size.sockets.toLocaleString('en-US')} sockets, 200 at a time (ms)`,
      ours: gw.openMs,
      baseline: bare.openMs,
      baselineName: 'bare uWS',
      ratio: round(gw.openMs / bare.openMs, 1),
    },
  ];
  const failed = gw.failed + bare.failed + sio.failed;
  return {
    id: 3,
    name: 'Connections',
    rows,
    correctness: { ok: failed === 0, lost: failed, duplicated: 0, detail: { failedToOpen: failed } },
    raw: results,
  };
}
