import { Histogram, round } from '../lib/histogram.ts';
import { runTimeMsOf, waitUntil } from '../lib/proc.ts';
import { rawRead, seedRoom } from '../lib/seed.ts';
import { System, type ServiceHandle } from '../lib/system.ts';
import type { Ctx, ScenarioResult } from './types.ts';

const SIZES = {
  small: { messages: 5_000, deep: 1_000, requests: 60 },
  full: { messages: 1_000_000, deep: 10_000, requests: 1_000 },
};
// BENCH_MESSAGES overrides the room's size (for trying things out; reports say what was run).
if (process.env.BENCH_MESSAGES) for (const s of Object.values(SIZES)) s.messages = Number(process.env.BENCH_MESSAGES);
const ROOM = 'history';
const SEED_USERS = 20;

/**
 * The one big room both data scenarios use: seeded once into the event log, then projected into
 * empty read models by a fresh projection (the rebuild, timed), then read through the gateway.
 */
interface Dataset {
  sys: System;
  seeded: { firstSeq: number; lastSeq: number; events: number; ms: number };
  raw?: { events: number; ms: number; cpuMs: number };
  /** `cpuMs`: the projection process's CPU time (every thread) while it rebuilt. */
  rebuild?: { events: number; ms: number; cpuMs: number; projection: ServiceHandle };
}

const datasets = new WeakMap<Ctx, Promise<Dataset>>();

function dataset(ctx: Ctx): Promise<Dataset> {
  let d = datasets.get(ctx);
  if (!d) {
    d = (async () => {
      const size = SIZES[ctx.size];
      const sys = await System.create();
      ctx.onFinish(() => sys.stop());
      ctx.log(`data: seeding ${size.messages.toLocaleString('en-US')} messages into the event log`);
      const seeded = await seedRoom(sys.nc, sys.s, { roomId: ROOM, users: SEED_USERS, messages: size.messages });
      ctx.log(`data: seeded ${seeded.events} events in ${Math.round(seeded.ms)} ms (${Math.round((seeded.events * 1000) / seeded.ms)}/s)`);
      return { sys, seeded };
    })();
    datasets.set(ctx, d);
  }
  return d;
}

/**
 * A fresh projection into empty read models, between two raw ordered-consumer reads of the same
 * events; all timed. The baseline is the faster read: a read that met a busy moment of this shared
 * machine would flatter the ratio (one run saw 10.7 s and 16.2 s for the same million events).
 */
async function rebuilt(ctx: Ctx): Promise<Required<Dataset>> {
  const d = await dataset(ctx);
  if (!d.rebuild) {
    const { sys, seeded } = d;
    const before = await rawRead(sys.nc, sys.s.stream, seeded.lastSeq);
    ctx.log(
      `data: raw ordered-consumer read of ${before.events} events in ${Math.round(before.ms)} ms, ${round((before.cpuMs * 1000) / before.events, 1)} µs of CPU per event`,
    );
    let started = performance.now();
    let cpuBefore = 0;
    const projection = await sys.startHost(['projection'], {}, (child) => {
      cpuBefore = runTimeMsOf(child.proc.pid!);
      started = performance.now();
    });
    sys.projection = projection;
    await waitUntil('projection caught up', async () => ((await sys.lag()).position >= seeded.lastSeq ? true : undefined), 1_800_000, 20);
    const ms = performance.now() - started;
    const cpuMs = runTimeMsOf(projection.child.proc.pid!) - cpuBefore;
    d.rebuild = { events: seeded.lastSeq, ms, cpuMs, projection };
    ctx.log(`data: projection applied ${seeded.lastSeq} events in ${Math.round(ms)} ms, ${round((cpuMs * 1000) / seeded.lastSeq, 1)} µs of its CPU per event`);
    const after = await rawRead(sys.nc, sys.s.stream, seeded.lastSeq);
    ctx.log(`data: raw ordered-consumer read again, in ${Math.round(after.ms)} ms, ${round((after.cpuMs * 1000) / after.events, 1)} µs of CPU per event`);
    d.raw = after.ms < before.ms ? after : before;
  }
  return d as Required<Dataset>;
}

/** 5. Projection rebuild: events/s into empty read models against a raw ordered-consumer read. */
export async function rebuild(ctx: Ctx): Promise<ScenarioResult> {
  const d = await rebuilt(ctx);
  const ours = (d.rebuild.events * 1000) / d.rebuild.ms;
  const raw = (d.raw.events * 1000) / d.raw.ms;
  const ratio = ours / raw;
  const counts = await readModelCounts(d.sys);
  const expectedMessages = SIZES[ctx.size].messages + SEED_USERS; // posts + one "joined" line per member
  const ok = counts.messages === expectedMessages && counts.distinctIds === expectedMessages && counts.members === SEED_USERS && counts.users === SEED_USERS;
  return {
    id: 5,
    name: 'Projection rebuild',
    rows: [
      {
        metric: `events/s replaying ${d.rebuild.events.toLocaleString('en-US')} events into empty read models`,
        ours: Math.round(ours),
        baseline: Math.round(raw),
        baselineName: 'raw JetStream ordered-consumer read, the faster of one before and one after',
        ratio: round(ratio, 2),
        target: '≥ 0.3×',
        met: ratio >= 0.3,
      },
    ],
    correctness: {
      ok,
      lost: Math.max(0, expectedMessages - counts.messages),
      duplicated: counts.messages - counts.distinctIds,
      detail: { ...counts, expectedMessages },
    },
    raw: {
      seeded: d.seeded,
      rawRead: d.raw,
      rebuildMs: Math.round(d.rebuild.ms),
      // CPU per event, steadier than time on a shared machine: the projection's (every thread) and the raw reader's.
      cpuUsPerEvent: { projection: round((d.rebuild.cpuMs * 1000) / d.rebuild.events, 1), rawRead: round((d.raw.cpuMs * 1000) / d.raw.events, 1) },
    },
  };
}

async function readModelCounts(sys: System) {
  const pg = (await import('pg')).default;
  const db = new pg.Client({ connectionString: sys.env.databaseUrl });
  await db.connect();
  try {
    const one = async (q: string) => Number((await db.query(q)).rows[0].n);
    return {
      messages: await one(`SELECT count(*) AS n FROM projection.messages WHERE room_id = '${ROOM}'`),
      distinctIds: await one(`SELECT count(DISTINCT id) AS n FROM projection.messages WHERE room_id = '${ROOM}'`),
      members: await one(`SELECT count(*) AS n FROM projection.members WHERE room_id = '${ROOM}'`),
      users: await one(`SELECT count(*) AS n FROM projection.users WHERE id LIKE 'u_seed%'`),
    };
  } finally {
    await db.end();
  }
}

/**
 * 4. History: the first page and a page `deep` messages back in a room of `messages`, through the
 * gateway (HTTP → NATS → projection → Postgres), beside a no-op over the same path (`GET /ping`).
 * The three kinds of request are interleaved so that they share the machine's noise.
 */
export async function history(ctx: Ctx): Promise<ScenarioResult> {
  const size = SIZES[ctx.size];
  const d = await rebuilt(ctx);
  const { sys } = d;
  if (!sys.gateway) {
    await sys.startHost(['room', 'profile']);
    await sys.startGateway();
  }
  const [user] = await sys.registerUsers(1, 'reader');
  const headers = { authorization: `Bearer ${user!.token}` };
  const get = async (path: string) => {
    const res = await fetch(`${sys.url}${path}`, { headers });
    const body = (await res.json()) as unknown;
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
    return body;
  };
  const newest = d.seeded.lastSeq;
  const deepBefore = newest - size.deep + 1;
  const kinds = {
    first: `/rooms/${ROOM}/messages?limit=50`,
    deep: `/rooms/${ROOM}/messages?limit=50&before=${deepBefore}`,
    noop: '/ping',
  };
  // Correct pages first: 50 messages each, in order, the deep one ending right before its cursor.
  const first = (await get(kinds.first)) as { seq: number }[];
  const deep = (await get(kinds.deep)) as { seq: number }[];
  const pagesOk =
    first.length === 50 &&
    first.at(-1)!.seq === newest &&
    deep.length === 50 &&
    deep.at(-1)!.seq === deepBefore - 1 &&
    deep.every((m, i) => i === 0 || m.seq > deep[i - 1]!.seq);
  const hist = { first: new Histogram(), deep: new Histogram(), noop: new Histogram() };
  for (let i = 0; i < 50; i++) for (const path of Object.values(kinds)) await get(path);
  for (let i = 0; i < size.requests; i++) {
    for (const [kind, path] of Object.entries(kinds) as [keyof typeof kinds, string][]) {
      const t = performance.now();
      await get(path);
      hist[kind].record(performance.now() - t);
    }
  }
  const s = { first: hist.first.summary(), deep: hist.deep.summary(), noop: hist.noop.summary() };
  ctx.log(`history: first ${JSON.stringify(s.first)} deep ${JSON.stringify(s.deep)} noop ${JSON.stringify(s.noop)}`);
  const deepVsFirst = s.deep.p99 / s.first.p99;
  const worstVsNoop = Math.max(s.deep.p99, s.first.p99) / s.noop.p99;
  const label = `${size.messages.toLocaleString('en-US')} messages`;
  return {
    id: 4,
    name: 'History',
    rows: [
      {
        metric: `first page p50 / p99 ms (${label}, 50 per page)`,
        ours: `${s.first.p50} / ${s.first.p99}`,
        baseline: `${s.noop.p50} / ${s.noop.p99}`,
        baselineName: 'no-op GET /ping, same path',
        ratio: round(s.first.p99 / s.noop.p99, 2),
        target: 'p99 ≤ 3×',
        met: s.first.p99 <= 3 * s.noop.p99,
      },
      {
        metric: `page ${size.deep.toLocaleString('en-US')} messages deep p50 / p99 ms`,
        ours: `${s.deep.p50} / ${s.deep.p99}`,
        baseline: `${s.noop.p50} / ${s.noop.p99}`,
        baselineName: 'no-op GET /ping, same path',
        ratio: round(s.deep.p99 / s.noop.p99, 2),
        target: 'p99 ≤ 3×',
        met: s.deep.p99 <= 3 * s.noop.p99,
      },
      {
        metric: 'deep page p99 against first page p99',
        ours: s.deep.p99,
        baseline: s.first.p99,
        baselineName: 'first page',
        ratio: round(deepVsFirst, 2),
        target: '≤ 1.2×',
        met: deepVsFirst <= 1.2,
      },
    ],
    correctness: { ok: pagesOk, lost: pagesOk ? 0 : 1, duplicated: 0, detail: { firstPage: first.length, deepPage: deep.length, requests: size.requests * 3 } },
    raw: { ...s, worstVsNoop: round(worstVsNoop, 2) },
  };
}
