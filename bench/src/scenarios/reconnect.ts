import { round } from '../lib/histogram.ts';
import { Loadgen } from '../lib/loadgen-client.ts';
import { forkTs } from '../lib/proc.ts';
import { System } from '../lib/system.ts';
import type { Ctx, ScenarioResult } from './types.ts';

const SIZES = {
  small: { sockets: 100, rooms: 2, missed: 10, during: 5 },
  full: { sockets: 5_000, rooms: 10, missed: 50, during: 10 },
};

/**
 * 6. Reconnect storm: N sockets, each having seen its room up to some cursor, drop; messages
 * are posted while they are away and while they come back; then all reconnect at once with
 * `since=<cursor>`. Measured: the time from the first reconnect until every socket is live and
 * has every message after its cursor; checked: none missing, none twice, none from before.
 * Baseline: a bare uWS server accepting the same number of sockets at once and writing each the
 * same number of message frames before `ready`, with nothing to look up or check.
 */
export async function reconnect(ctx: Ctx): Promise<ScenarioResult> {
  const size = SIZES[ctx.size];
  const sys = await System.create();
  const gen = Loadgen.start();
  try {
    await sys.startAll();
    const rooms = Array.from({ length: size.rooms }, (_, i) => `storm${i}`);
    const users = await sys.registerUsers(Math.max(1, Math.ceil(size.sockets / 500)), 'storm');
    await sys.joinAll(users, rooms);
    const conns = Array.from({ length: size.sockets }, (_, i) => ({
      url: sys.wsPath(rooms[i % rooms.length]!, users[i % users.length]!),
      group: rooms[i % rooms.length]!,
    }));
    const opened = await gen.open(conns, { concurrency: 200, timeoutMs: 120_000 });
    if (opened.failed) throw new Error(`reconnect: ${opened.failed} sockets failed to open: ${opened.failures.join('; ')}`);

    const postRound = async (count: number, tag: string) => {
      const seqs: Record<string, number[]> = Object.fromEntries(rooms.map((r) => [r, []]));
      await Promise.all(
        rooms.map(async (room, ri) => {
          for (let i = 0; i < count; i++) seqs[room]!.push(await sys.post(room, users[ri % users.length]!.id, `${tag} ${i}`, `${tag}-${room}-${i}`));
        }),
      );
      return seqs;
    };
    // A first message everywhere, seen live by every socket: that is the cursor each resumes from.
    const first = await postRound(1, 'before');
    const seen = await gen.call('caughtUp', { targets: first, timeoutMs: 60_000 });
    if (seen.behind) throw new Error(`reconnect: ${seen.behind} sockets never saw the first message`);
    await gen.call('closeAll', { timeoutMs: 30_000 });

    const missed = await postRound(size.missed, 'missed');
    await sys.caughtUp();
    ctx.log(`reconnect: ${size.sockets} sockets dropped, ${size.missed * size.rooms} messages posted meanwhile; reconnecting all at once`);
    const started = performance.now();
    const [reopen, during] = await Promise.all([gen.call('reopenAll', { timeoutMs: 120_000 }, 300_000), postRound(size.during, 'during')]);
    const targets = Object.fromEntries(rooms.map((r) => [r, [...missed[r]!, ...during[r]!]]));
    const check = await gen.call('caughtUp', { targets, timeoutMs: 120_000 }, 300_000);
    const totalMs = performance.now() - started;
    ctx.log(
      `reconnect: all live in ${Math.round(reopen.ms)} ms (${reopen.retries} retries: ${JSON.stringify(reopen.retryReasons)}), caught up in ${Math.round(totalMs)} ms; ${JSON.stringify(check)}`,
    );
    const frames = size.missed + size.during;
    const baseline = await bareStorm(size.sockets, rooms, frames);
    ctx.log(`reconnect: bare uWS took ${Math.round(baseline.ms)} ms to accept ${baseline.opened} sockets and write each ${frames} frames`);
    const ratio = totalMs / baseline.ms;
    const ok = reopen.failed === 0 && check.missing === 0 && check.duplicated === 0 && check.unexpected === 0 && check.behind === 0 && baseline.failed === 0;
    return {
      id: 6,
      name: 'Reconnect storm',
      rows: [
        { metric: `${size.sockets.toLocaleString('en-US')} sockets reconnect at once with their cursors: all live (ready), ms`, ours: Math.round(reopen.ms) },
        {
          metric: `… and all caught up (${size.missed} missed + ${size.during} posted during the storm per room, ${size.rooms} rooms), ms`,
          ours: Math.round(totalMs),
          baseline: Math.round(baseline.ms),
          baselineName: `bare uWS: accept them all and write each ${frames} frames`,
          ratio: round(ratio, 2),
          target: '≤ 2×',
          met: ratio <= 2,
        },
        { metric: 'handshake → ready per socket p50 / p99 ms (retries included)', ours: `${reopen.connectMs.p50} / ${reopen.connectMs.p99}` },
        { metric: 'attempts refused or closed (503 / 1013) and retried with backoff', ours: reopen.retries },
        { metric: 'resumed sockets per second', ours: round((reopen.opened * 1000) / totalMs, 0) },
      ],
      correctness: {
        ok,
        lost: check.missing + reopen.failed,
        duplicated: check.duplicated + check.unexpected,
        detail: { ...check, failedToReopen: reopen.failed, failures: reopen.failures },
      },
      raw: { reopen, check, totalMs: Math.round(totalMs), baseline },
      notes: reopen.retries ? [`${reopen.retries} reconnect attempts were refused or closed and retried: ${JSON.stringify(reopen.retryReasons)}.`] : [],
    };
  } finally {
    await gen.stop();
    await sys.stop();
  }
}

/** The storm's baseline: `sockets` sockets at once on a bare uWS server that writes each `frames` frames, then `ready`. */
async function bareStorm(sockets: number, rooms: string[], frames: number) {
  const bare = forkTs('servers/bare-uws.ts');
  const gen = Loadgen.start();
  try {
    const { port } = await bare.call<{ port: number }>('port');
    const conns = Array.from({ length: sockets }, (_, i) => ({ url: `ws://127.0.0.1:${port}/storm/${rooms[i % rooms.length]}/${frames}`, group: 'bare' }));
    return await gen.open(conns, { concurrency: sockets, timeoutMs: 120_000 });
  } finally {
    await gen.stop();
    await bare.stop();
  }
}
