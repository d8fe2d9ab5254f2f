import pg from 'pg';
import { measureFloor, ONE_AT_A_TIME_GAP_MS } from '../lib/floor.ts';
import { Histogram, round } from '../lib/histogram.ts';
import { Loadgen } from '../lib/loadgen-client.ts';
import { RawSocket } from '../lib/raw-ws.ts';
import { forkTs } from '../lib/proc.ts';
import { type BenchUser, System } from '../lib/system.ts';
import type { Ctx, LoadStep, ScenarioResult } from './types.ts';

const SIZES = {
  small: { rooms: 2, members: 5, stepMs: 1000, rates: [20, 50], floorN: 50 },
  full: { rooms: 10, members: 20, stepMs: 4000, rates: [100, 200, 400, 800, 1200, 1600, 2400, 3200, 4800], floorN: 300 },
};

const P99_FLOOR_FACTOR = 5;
/** "Delivered in full" also asks p99 under this: past it, a chat is delivered but no longer live. */
const KEPT_UP_P99_MS = 100;
const PEER = 'Socket.IO (no persistence)';

/**
 * 2. End to end: members of R rooms post over their sockets and every member gets each message,
 * enriched, through the whole system (gateway → room service → JetStream → the gateways
 * following the log → sockets; Postgres is written beside it by the projection). The peer is a Socket.IO server that only broadcasts, under
 * the same generator and the same steps. A step is sustained when everything offered arrives,
 * nothing is lost, and p99 stays under 5× the floor measured in this run back to back (under load
 * every process is awake); one post at a time is compared with the floor timed with the same pause.
 */
export async function e2e(ctx: Ctx): Promise<ScenarioResult> {
  const size = SIZES[ctx.size];
  const sys = await System.create();
  const peer = forkTs('servers/socketio.ts');
  const gen = Loadgen.start();
  try {
    const floor = await measureFloor(sys.env.natsUrl, sys.env.databaseUrl, sys.env.namespace, size.floorN);
    const limit = round(P99_FLOOR_FACTOR * floor.backToBack.total, 3);
    ctx.log(`end to end: floor ${JSON.stringify(floor)} → p99 limit ${limit} ms`);
    await sys.startAll();
    const rooms = Array.from({ length: size.rooms }, (_, i) => `e2e${i}`);
    const users = await sys.registerUsers(size.members, 'e2e');
    await sys.joinAll(users, rooms);
    const breakdown = await pathBreakdown(sys, users[0]!, rooms[0]!, size.floorN);
    ctx.log(`end to end: one post at a time: ${JSON.stringify(breakdown)}`);
    const { port: peerPort } = await peer.call<{ port: number }>('port');
    const gw = rooms.flatMap((r) => users.map((u) => ({ url: sys.wsPath(r, u), group: `gw:${r}` })));
    const sio = rooms.flatMap((r) =>
      users.map((u) => ({ url: `ws://127.0.0.1:${peerPort}/socket.io/?EIO=4&transport=websocket&room=${r}&user=${u.id}`, group: `sio:${r}` })),
    );

    // Two generators' worth of sockets in one generator would post to both systems at once: keep
    // them apart by opening each system's sockets only for its own steps.
    const systems = {
      [PEER]: { conns: sio, proto: 'sio' as const },
      gateway: { conns: gw, proto: 'ws' as const },
    };
    const capacity = ctx.capacity?.receivePerSecond ?? 100_000;
    const rates = size.rates.filter((r) => r * size.members <= capacity / 2);
    const steps: LoadStep[] = [];
    const sustained: Record<string, { posts: number; deliveries: number; p99: number } | null> = {};
    /** The highest step delivered in full with p99 ≤ 100 ms: where throughput itself ends. */
    const keptUp: Record<string, { posts: number; deliveries: number; p99: number } | null> = {};
    let lost = 0;
    let dups = 0;
    let gatewayPosts = breakdown.posts;
    for (const [name, { conns, proto }] of Object.entries(systems)) {
      const opened = await gen.open(conns, { proto });
      if (opened.failed) throw new Error(`end to end: ${name} sockets failed: ${opened.failures.join('; ')}`);
      await gen.call('reset');
      await gen.call('post', { rate: 50, durationMs: 1000, proto });
      const warm = await gen.settle(2000, 20_000);
      if (proto === 'ws') gatewayPosts += warm.expected / size.members;
      sustained[name] = null;
      keptUp[name] = null;
      for (const rate of rates) {
        await gen.call('reset');
        const run = await gen.call<{ sent: number; ms: number }>('post', { rate, durationMs: size.stepMs, proto });
        const st = await gen.settle(2000, 30_000);
        if (proto === 'ws') gatewayPosts += run.sent;
        // A step it could not keep up with still has to deliver everything in the end.
        const final = st.lost > 0 ? await gen.settle(5000, 90_000) : st;
        lost += final.lost;
        dups += final.dups;
        const offered = (run.sent * size.members * 1000) / run.ms;
        const achieved = (st.received * 1000) / Math.max(st.activeMs, run.ms);
        steps.push({ system: name, offered: round(offered, 0), achieved: round(achieved, 0), latency: st.latency, lost: st.lost, dups: st.dups });
        const ok = st.lost === 0 && st.dups === 0 && achieved >= 0.95 * offered && st.latency.p99 < limit;
        ctx.log(
          `end to end ${name}: ${rate} posts/s → ${round(achieved, 0)} deliveries/s p50 ${st.latency.p50} p99 ${st.latency.p99} ms lost ${st.lost} errors ${st.errors} closed ${st.closed} recv ${st.received}/${st.expected} ${ok ? 'sustained' : 'not sustained'} ${st.errorSamples.slice(0, 1).join('')}`,
        );
        const step = { posts: round((run.sent * 1000) / run.ms, 0), deliveries: round(achieved, 0), p99: st.latency.p99 };
        const complete = st.lost === 0 && st.dups === 0 && achieved >= 0.95 * offered;
        if (ok) sustained[name] = step;
        if (complete && st.latency.p99 <= KEPT_UP_P99_MS) keptUp[name] = step;
        // Past the point where it no longer keeps up, more steps only burn the time budget.
        if (!complete || st.latency.p99 > 1000) break;
      }
      await gen.call('dropAll');
    }
    await sys.caughtUp(120_000);
    const persisted = await countPersisted(sys.env.databaseUrl, rooms);
    const ours = sustained.gateway;
    const theirs = sustained[PEER];
    const ratio = (ours?.deliveries ?? 0) / Math.max(1, theirs?.deliveries ?? 0);
    const peerCapped = !!theirs && theirs.posts >= Math.max(...rates) * 0.95;
    const keptUpRatio = (keptUp.gateway?.deliveries ?? 0) / Math.max(1, keptUp[PEER]?.deliveries ?? 0);
    const peerKeptUpCapped = !!keptUp[PEER] && keptUp[PEER]!.posts >= Math.max(...rates) * 0.95;
    const asked = Math.max(...steps.map((s) => s.offered));
    return {
      id: 2,
      name: 'End to end',
      rows: [
        {
          metric: `sustained posts/s, p99 < ${limit} ms (5× the floor back to back, ${floor.backToBack.total} ms), ${size.rooms}×${size.members} members`,
          ours: ours?.posts ?? 0,
          baseline: theirs?.posts ?? 0,
          baselineName: 'Socket.IO broadcast, no persistence',
          ratio: round((ours?.posts ?? 0) / Math.max(1, theirs?.posts ?? 0), 2),
        },
        {
          metric: 'sustained deliveries/s',
          ours: ours?.deliveries ?? 0,
          baseline: `${theirs?.deliveries ?? 0}${peerCapped ? ' (the top step tried)' : ''}`,
          baselineName: 'Socket.IO',
          ratio: round(ratio, 2),
          // At least the peer's sustained rate; when neither holds a step, there is nothing to compare.
          target: '≥ 1×',
          met: ours || theirs ? ratio >= 1 && !!ours : undefined,
        },
        { metric: 'p99 ms at the sustained step', ours: ours?.p99 ?? 'none sustained', baseline: theirs?.p99 ?? '', baselineName: 'Socket.IO' },
        {
          metric: `highest step delivered in full with p99 ≤ ${KEPT_UP_P99_MS} ms: deliveries/s (p99 ms)`,
          ours: keptUp.gateway ? `${keptUp.gateway.deliveries} (${keptUp.gateway.p99})` : 'none',
          baseline: keptUp[PEER] ? `${keptUp[PEER]!.deliveries} (${keptUp[PEER]!.p99})${peerKeptUpCapped ? ' (the top step tried)' : ''}` : 'none',
          baselineName: 'Socket.IO',
          ratio: round(keptUpRatio, 2),
          target: '≥ 2×',
          met: keptUpRatio >= 2,
        },
        {
          metric: `one post at a time, ${ONE_AT_A_TIME_GAP_MS} ms apart, p50 ms: room service answers (post → ack) · frame on a member’s socket (post → frame)`,
          ours: `${breakdown.room.p50} · ${breakdown.live.p50}`,
          baseline: `${floor.total} = ${floor.jetstreamAck} + ${floor.natsHop} + ${floor.uwsDelivery}`,
          baselineName: 'floor, as far apart: JetStream ack + NATS hop + uWS delivery',
          ratio: round(breakdown.live.p50 / floor.total, 2),
          target: '≤ 2×',
          met: breakdown.live.p50 <= 2 * floor.total,
        },
        {
          metric: `messages persisted / posted (over the gateway, and ${breakdown.posts} probes to the room service)`,
          ours: `${persisted} / ${Math.round(gatewayPosts)}`,
        },
      ],
      correctness: {
        ok: lost === 0 && dups === 0 && persisted === Math.round(gatewayPosts),
        lost,
        duplicated: dups,
        detail: { persisted, posted: Math.round(gatewayPosts) },
      },
      generator: { asked, capacity, ratio: round(capacity / asked, 2), ok: capacity >= 2 * asked, what: 'frames read per second' },
      steps,
      raw: { floor, limitMs: limit, sustained, keptUp, breakdown },
    };
  } finally {
    await gen.stop();
    await peer.stop();
    await sys.stop();
  }
}

/**
 * Where an unloaded post spends its time, one at a time: the room service's answer (decide,
 * append, JetStream ack), and the whole way to a member's socket (the same, then the gateway
 * reads the event from the log, enriches it and writes the frame). The frame often arrives
 * before the room service's answer does: both are timed from the moment of posting.
 */
async function pathBreakdown(sys: System, user: BenchUser, roomId: string, n: number) {
  const room = new Histogram();
  const live = new Histogram();
  let waitingFor = '';
  let arrived: ((at: number) => void) | null = null;
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const ws = await RawSocket.open(sys.wsPath(roomId, user), {
    onMessage: (s, start, end) => {
      const frame = s.slice(start, end);
      if (frame.includes('"type":"ready"')) ready();
      else if (waitingFor && frame.includes(waitingFor)) arrived?.(performance.now());
    },
  });
  await isReady;
  try {
    for (let i = -20; i < n; i++) {
      await new Promise((r) => setTimeout(r, ONE_AT_A_TIME_GAP_MS));
      waitingFor = `"content":"probe ${i}"`;
      const delivered = new Promise<number>((r) => (arrived = r));
      const t0 = performance.now();
      await sys.post(roomId, user.id, `probe ${i}`, `probe${i + 20}`);
      const answered = performance.now();
      const onSocket = await delivered;
      if (i >= 0) {
        room.record(answered - t0);
        live.record(onSocket - t0);
      }
    }
  } finally {
    ws.destroy();
  }
  return { room: room.summary(), live: live.summary(), posts: n + 20 };
}

async function countPersisted(databaseUrl: string, rooms: string[]): Promise<number> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const r = await db.query("SELECT count(*)::int AS n FROM projection.messages WHERE type = 'text' AND room_id = ANY($1)", [rooms]);
    return r.rows[0].n as number;
  } finally {
    await db.end();
  }
}
