import { Loadgen, type PhaseStats } from '../lib/loadgen-client.ts';
import { round } from '../lib/histogram.ts';
import { forkTs } from '../lib/proc.ts';
import { System } from '../lib/system.ts';
import type { Ctx, LoadStep, ScenarioResult } from './types.ts';

const SIZES = {
  small: { rooms: 2, perRoom: 10, stepMs: 1000, fractions: [0.5, 1] },
  full: { rooms: 10, perRoom: 200, stepMs: 5000, fractions: [0.25, 0.5, 0.75, 1] },
};

/**
 * 1. Fan-out: R rooms × S sockets; messages enter as `MessagePosted` events appended to the event
 * log (as the room service appends them), the gateway follows the log and every socket of the
 * room must get each one. The same generator drives the gateway and a bare uWS server that does
 * nothing but `app.publish` what it reads from a NATS subject, step by step, alternating, at
 * offered rates up to half of what the generator can read. While the bare server is measured,
 * the same posts are appended to the log for rooms no socket follows, so the log, the projection
 * and Postgres do the same work beside both measurements: only the path to the sockets differs.
 */
export async function fanout(ctx: Ctx): Promise<ScenarioResult> {
  const size = SIZES[ctx.size];
  const sys = await System.create();
  const bare = forkTs('servers/bare-uws.ts');
  const gen = Loadgen.start();
  try {
    await sys.startAll();
    const rooms = Array.from({ length: size.rooms }, (_, i) => `fan${i}`);
    // Rooms with no socket: while the bare server is measured, the same posts go to the log here,
    // so the rest of the system (the log, the projection, Postgres) works as hard in both runs.
    const quietRooms = rooms.map((r) => `${r}q`);
    const sockets = size.rooms * size.perRoom;
    const users = await sys.registerUsers(Math.max(1, Math.ceil(sockets / 500)), 'fan');
    await sys.joinAll(users, [...rooms, ...quietRooms]);
    const bareNs = `${sys.env.namespace}b`;
    await bare.call('live', { natsUrl: sys.env.natsUrl, ns: bareNs });
    const { port: barePort } = await bare.call<{ port: number }>('port');

    const gwConns = rooms.flatMap((r) => Array.from({ length: size.perRoom }, (_, i) => ({ url: sys.wsPath(r, users[i % users.length]!), group: `gw:${r}` })));
    const bareConns = rooms.flatMap((r) => Array.from({ length: size.perRoom }, () => ({ url: `ws://127.0.0.1:${barePort}/room/${r}`, group: `bare:${r}` })));
    const o1 = await gen.open(gwConns);
    const o2 = await gen.open(bareConns);
    if (o1.failed || o2.failed) throw new Error(`fan-out: sockets failed: ${[...o1.failures, ...o2.failures].join('; ')}`);
    await gen.call('natsConnect', { url: sys.env.natsUrl });
    ctx.log(`fan-out: ${sockets} sockets on the gateway and ${sockets} on bare uWS`);

    const capacity = ctx.capacity?.receivePerSecond ?? 100_000;
    const maxDeliveries = capacity / 2;
    const author = users[0]!.id;
    const systems = {
      'bare uWS': {
        command: 'publish',
        subjects: Object.fromEntries(rooms.map((r) => [`bare:${r}`, { subject: `${bareNs}.live.room.${r}`, room: r }])),
        alsoLog: quietRooms.map((r) => ({ subject: sys.s.events.messages(r), room: r, author })),
      },
      gateway: {
        command: 'publishEvents',
        subjects: Object.fromEntries(rooms.map((r) => [`gw:${r}`, { subject: sys.s.events.messages(r), room: r, author }])),
        alsoLog: undefined,
      },
    };
    const steps: LoadStep[] = [];
    // Warm both paths (JIT, subscriptions) before anything is measured.
    for (const { command, subjects, alsoLog } of Object.values(systems)) {
      await gen.call('reset');
      await gen.call(command, { rate: 200, durationMs: 500, subjects, alsoLog });
      await gen.settle(500, 5000);
    }
    let lost = 0;
    let dups = 0;
    for (const fraction of size.fractions) {
      const rate = Math.max(1, Math.round((maxDeliveries * fraction) / size.perRoom));
      for (const [name, { command, subjects, alsoLog }] of Object.entries(systems)) {
        await gen.call('reset');
        const run = await gen.call<{ sent: number; ms: number }>(command, { rate, durationMs: size.stepMs, subjects, alsoLog });
        const st: PhaseStats = await gen.settle(1000, 20_000);
        lost += st.lost;
        dups += st.dups;
        const achieved = (st.received * 1000) / Math.max(st.activeMs, run.ms);
        steps.push({
          system: name,
          offered: round((run.sent * size.perRoom * 1000) / run.ms, 0),
          achieved: round(achieved, 0),
          latency: st.latency,
          lost: st.lost,
          dups: st.dups,
        });
        ctx.log(
          `fan-out ${name}: offered ${round(rate * size.perRoom, 0)}/s achieved ${round(achieved, 0)}/s p50 ${st.latency.p50} p99 ${st.latency.p99} ms lost ${st.lost} dup ${st.dups} closed ${st.closed}`,
        );
      }
    }
    const of = (name: string) => steps.filter((s) => s.system === name);
    const best = (name: string) => Math.max(...of(name).map((s) => s.achieved));
    const gw = of('gateway').at(-1)!;
    const base = of('bare uWS').at(-1)!;
    const tputRatio = best('gateway') / best('bare uWS');
    // The p99 target holds at every step, not only at the top one.
    const p99Ratios = of('gateway').map((g, i) => round(g.latency.p99 / of('bare uWS')[i]!.latency.p99, 2));
    const worst = Math.max(...p99Ratios);
    const asked = Math.max(...steps.map((s) => s.offered));
    return {
      id: 1,
      name: 'Fan-out',
      rows: [
        {
          metric: `deliveries/s (${size.rooms}×${size.perRoom} sockets)`,
          ours: best('gateway'),
          baseline: best('bare uWS'),
          baselineName: 'bare uWS app.publish',
          ratio: round(tputRatio),
          target: '≥ 0.8×',
          met: tputRatio >= 0.8,
        },
        {
          metric: `p50 / p99 / p99.9 ms at the top step, ${gw.offered}/s`,
          ours: `${gw.latency.p50} / ${gw.latency.p99} / ${gw.latency.p999}`,
          baseline: `${base.latency.p50} / ${base.latency.p99} / ${base.latency.p999}`,
          baselineName: 'bare uWS app.publish',
          ratio: round(gw.latency.p99 / base.latency.p99, 2),
        },
        {
          metric: `p99 against bare uWS at each step (${of('gateway')
            .map((g) => g.offered)
            .join(', ')} /s)`,
          ours: p99Ratios.map((r) => `${r}×`).join(', '),
          ratio: worst,
          target: 'p99 ≤ 1.5× at every step',
          met: worst <= 1.5,
        },
      ],
      correctness: { ok: lost === 0 && dups === 0, lost, duplicated: dups },
      generator: { asked, capacity, ratio: round(capacity / asked, 2), ok: capacity >= 2 * asked, what: 'frames read per second' },
      steps,
    };
  } finally {
    await gen.stop();
    await bare.stop();
    await sys.stop();
  }
}
