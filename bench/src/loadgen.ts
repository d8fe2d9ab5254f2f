import { connect, type NatsConnection } from '@chat/bus';
/**
 * The load generator, in a process of its own: opens sockets with the bench's raw WebSocket client,
 * offers load at a set rate (messages into NATS for fan-out, posts over the sockets end to end),
 * and records, per delivery, latency from the moment of sending (one clock: this process) and
 * whether anything was lost or came twice. Driven by the runner over IPC; stops with it.
 */
import { Histogram } from './lib/histogram.ts';
import { RawSocket } from './lib/raw-ws.ts';
import { serveParent, sleep } from './lib/proc.ts';

type Proto = 'ws' | 'sio';

interface Conn {
  url: string;
  group: string;
  proto: Proto;
  ws: RawSocket | null;
  ready: boolean;
  readyCursor: number;
  /** Highest message seq seen (the cursor a client would resume from). */
  lastSeq: number;
  /** Bench messages (content `t=…`) received since the last reset. */
  received: number;
  dups: number;
  /** Every message seq received since `track` was switched on. */
  seqs: number[] | null;
  /** The cursor it reconnected with. */
  since: number;
  onReady: (() => void) | null;
  closed: boolean;
  /** Multiplexed socket (`/ws`): the rooms it subscribes to once welcomed; ready when all are subscribed. */
  subscribe?: string[];
  pendingSubs?: number;
}

const conns: Conn[] = [];
let hist = new Histogram();
let received = 0;
/** Posts sent by this process: each gets its own client_msg_id (a repeated one is deduplicated). */
let postCount = 0;
/** Events appended by this process (fan-out input): ids unique per process. */
let eventCount = 0;
const DEBUG = process.env.BENCH_DEBUG ?? '';
let debugged = 0;
let frames = 0;
let phaseStart = performance.now();
let lastDeliveryAt = phaseStart;
let errors = 0;
const errorSamples: string[] = [];
/** Bench messages sent per group since the last reset (what each member should receive). */
let sentPerGroup = new Map<string, number>();
let track = false;
let nc: NatsConnection | null = null;

const TYPE_MESSAGE = '"type":"message"';
const TYPE_READY = '"type":"ready"';
const TYPE_WELCOME = '"type":"welcome"';
const TYPE_SUBSCRIBED = '"type":"subscribed"';
const TYPE_ERROR = '"type":"error"';
const SEQ = '"seq":';
const CONTENT_T = '"content":"t=';
const CURSOR = '"cursor":';

/** The number at `at` in `s` (digits, '.', '-'). */
function readNumber(s: string, at: number): number {
  let end = at;
  for (;;) {
    const c = s.charCodeAt(end);
    if ((c >= 48 && c <= 57) || c === 46 || c === 45) end++;
    else break;
  }
  return Number(s.slice(at, end));
}

function onPayload(c: Conn, chunk: string, start: number, end: number): void {
  frames++;
  if (c.proto === 'sio') {
    // Engine.IO: 0 open, 2 ping, 40 connected, 42 event.
    const k = chunk.charCodeAt(start);
    if (k === 0x32) {
      c.ws!.send('3');
      return;
    }
    if (k === 0x30) {
      c.ws!.send('40');
      return;
    }
    if (k !== 0x34 || chunk.charCodeAt(start + 1) !== 0x32) return;
    start += 2;
  }
  // A sliced string: no copy, and searches stay inside the frame.
  const s = chunk.slice(start, end);
  if (DEBUG && c.group.startsWith(DEBUG) && debugged++ < 40) console.error(`[loadgen] ${c.group} ${s.slice(0, 300)}`);
  const typeAt = s.indexOf(TYPE_MESSAGE);
  if (typeAt >= 0 && typeAt < 40) {
    const seqAt = s.indexOf(SEQ);
    const seq = seqAt >= 0 ? readNumber(s, seqAt + SEQ.length) : 0;
    if (seq <= c.lastSeq) c.dups++;
    else c.lastSeq = seq;
    c.seqs?.push(seq);
    const tAt = s.indexOf(CONTENT_T);
    if (tAt >= 0) {
      const now = performance.now();
      hist.record(now - readNumber(s, tAt + CONTENT_T.length));
      lastDeliveryAt = now;
      c.received++;
      received++;
    }
    return;
  }
  if (c.subscribe) {
    const welcomeAt = s.indexOf(TYPE_WELCOME);
    if (welcomeAt >= 0 && welcomeAt < 40) {
      c.pendingSubs = c.subscribe.length;
      for (const room of c.subscribe) c.ws!.send(`{"type":"subscribe","room_id":"${room}"}`);
      return;
    }
    const subscribedAt = s.indexOf(TYPE_SUBSCRIBED);
    if (subscribedAt >= 0 && subscribedAt < 40) {
      c.pendingSubs = (c.pendingSubs ?? 1) - 1;
      if (c.pendingSubs === 0) {
        c.ready = true;
        c.onReady?.();
      }
      return;
    }
  }
  const readyAt = s.indexOf(TYPE_READY);
  if (readyAt >= 0 && readyAt < 40) {
    const cursorAt = s.indexOf(CURSOR);
    c.readyCursor = cursorAt >= 0 ? readNumber(s, cursorAt + CURSOR.length) : 0;
    if (c.readyCursor > c.lastSeq) c.lastSeq = c.readyCursor;
    c.ready = true;
    c.onReady?.();
    return;
  }
  const errorAt = s.indexOf(TYPE_ERROR);
  if (errorAt >= 0 && errorAt < 40) {
    errors++;
    if (errorSamples.length < 5) errorSamples.push(Buffer.from(s.slice(0, 200), 'latin1').toString('utf8'));
  }
}

function stats() {
  let expected = 0;
  let lost = 0;
  let dups = 0;
  let extra = 0;
  let closed = 0;
  for (const c of conns) {
    const want = sentPerGroup.get(c.group) ?? 0;
    expected += want;
    lost += Math.max(0, want - c.received);
    extra += Math.max(0, c.received - want);
    dups += c.dups;
    if (c.closed) closed++;
  }
  return {
    received,
    expected,
    lost,
    dups,
    extra,
    errors,
    errorSamples,
    closed,
    sockets: conns.length,
    activeMs: lastDeliveryAt - phaseStart,
    hist: hist.toJSON(),
  };
}

function openConn(c: Conn, timeoutMs: number): Promise<number> {
  const started = performance.now();
  c.ready = false;
  c.closed = false;
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready within ${timeoutMs} ms: ${c.url.replace(/token=[^&]+/, 'token=…')}`)), timeoutMs);
    c.onReady = () => {
      clearTimeout(timer);
      c.onReady = null;
      resolve(performance.now() - started);
    };
    RawSocket.open(
      c.url,
      {
        onMessage: (str, start, end, ws) => {
          c.ws = ws;
          onPayload(c, str, start, end);
        },
        onClose: () => {
          c.closed = true;
          if (!c.ready) {
            clearTimeout(timer);
            reject(new Error(`closed before ready (${c.ws?.closeCode})`));
          }
        },
      },
      timeoutMs,
    ).then(
      (ws) => (c.ws = ws),
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** Runs `fn` over `items`, `concurrency` at a time. */
async function pool<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        try {
          results[i] = { status: 'fulfilled', value: await fn(items[i]!) };
        } catch (reason) {
          results[i] = { status: 'rejected', reason };
        }
      }
    }),
  );
  return results;
}

function openResult(results: PromiseSettledResult<number>[], started: number) {
  const h = new Histogram();
  const failures: string[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') h.record(r.value);
    else if (failures.length < 5) failures.push(String((r.reason as Error)?.message ?? r.reason));
  }
  return { opened: h.count, failed: results.length - h.count, ms: performance.now() - started, connectMs: h.summary(), failures };
}

/** Calls `emit(i)` `rate` times a second for `durationMs`, catching up in bursts when late. */
async function paced(rate: number, durationMs: number, emit: (i: number) => void): Promise<{ sent: number; ms: number; maxBehind: number }> {
  const start = performance.now();
  let sent = 0;
  let maxBehind = 0;
  for (;;) {
    const elapsed = performance.now() - start;
    if (elapsed >= durationMs) break;
    const due = Math.floor((rate * elapsed) / 1000);
    maxBehind = Math.max(maxBehind, due - sent);
    while (sent < due) emit(sent++);
    await sleep(1);
  }
  return { sent, ms: performance.now() - start, maxBehind };
}

const groups = () => {
  const byGroup = new Map<string, Conn[]>();
  for (const c of conns) {
    if (!c.ws || c.closed) continue;
    const list = byGroup.get(c.group) ?? [];
    list.push(c);
    byGroup.set(c.group, list);
  }
  return byGroup;
};

const messageFrame = (roomId: string, seq: number, t: number) =>
  `{"type":"message","message":{"id":"m_b${seq}","room_id":"${roomId}","user_id":"bench","username":"bench","content":"t=${t.toFixed(3)}",` +
  `"avatar":"/avatars/default/bench.svg","timestamp":"2026-01-01T00:00:00.000Z","type":"text","seq":${seq},"client_msg_id":null,"edited_at":null,"deleted":false}}`;

/** A valid `MessagePosted` event, stamped with the time it was sent (its content), as the room service would append it. */
function postedEvent(roomId: string, author: string): string {
  const n = ++eventCount;
  return JSON.stringify({
    id: `bench${process.pid}_${n}`,
    type: 'MessagePosted',
    version: 1,
    occurred_at: new Date().toISOString(),
    data: { room_id: roomId, message_id: `bm${process.pid}_${n}`, user_id: author, content: `t=${performance.now().toFixed(3)}`, client_msg_id: null },
    meta: { correlation_id: 'bench-fanout', causation_id: null, actor: author },
  });
}

serveParent({
  async open(a: { conns: { url: string; group: string; subscribe?: string[] }[]; proto?: Proto; concurrency?: number; timeoutMs?: number }) {
    const started = performance.now();
    const fresh = a.conns.map(
      (x) =>
        ({
          ...x,
          proto: a.proto ?? 'ws',
          ws: null,
          ready: false,
          readyCursor: 0,
          lastSeq: 0,
          received: 0,
          dups: 0,
          seqs: null,
          since: 0,
          onReady: null,
          closed: false,
        }) as Conn,
    );
    conns.push(...fresh);
    const results = await pool(fresh, a.concurrency ?? 100, (c) => openConn(c, a.timeoutMs ?? 60_000));
    return openResult(results, started);
  },

  /** Closes every socket (with a close frame) and waits until the servers have closed them. */
  async closeAll(a: { timeoutMs?: number } = {}) {
    for (const c of conns) c.ws?.close();
    const deadline = Date.now() + (a.timeoutMs ?? 20_000);
    while (conns.some((c) => c.ws && !c.closed) && Date.now() < deadline) await sleep(20);
    return { open: conns.filter((c) => c.ws && !c.closed).length };
  },

  /** Drops every socket and forgets them. */
  async dropAll() {
    for (const c of conns) c.ws?.destroy();
    conns.length = 0;
    return {};
  },

  /**
   * Reopens every socket at once with `since=<cursor>`. A refused or closed attempt (503 before
   * the upgrade, 1013 "try again later") is retried as a client would: after a jittered pause
   * that grows, from the latest cursor it has.
   */
  async reopenAll(a: { timeoutMs?: number; maxAttempts?: number }) {
    const started = performance.now();
    for (const c of conns) {
      c.since = c.lastSeq;
      c.seqs = [];
      c.dups = 0;
    }
    let retries = 0;
    const reasons = new Map<string, number>();
    const results = await pool(conns, conns.length, async (c) => {
      const t = performance.now();
      for (let attempt = 1; ; attempt++) {
        const u = new URL(c.url);
        u.searchParams.set('since', String(c.lastSeq));
        c.url = u.toString();
        try {
          await openConn(c, a.timeoutMs ?? 120_000);
          return performance.now() - t;
        } catch (err) {
          const reason = String((err as Error).message)
            .replace(/ws:\/\/\S+/g, '')
            .slice(0, 80);
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
          c.ws?.destroy();
          if (attempt >= (a.maxAttempts ?? 20)) throw err;
          retries++;
          await sleep(Math.random() * Math.min(5000, 250 * 2 ** attempt));
        }
      }
    });
    return { ...openResult(results, started), retries, retryReasons: Object.fromEntries(reasons) };
  },

  /** Waits until every socket of each group has seen `targets[group]`; returns when, and what each saw. */
  async caughtUp(a: { targets: Record<string, number[]>; timeoutMs?: number }) {
    const started = performance.now();
    const last = Object.fromEntries(Object.entries(a.targets).map(([g, seqs]) => [g, seqs.length ? Math.max(...seqs) : 0]));
    const deadline = started + (a.timeoutMs ?? 60_000);
    while (conns.some((c) => (last[c.group] ?? 0) > c.lastSeq) && performance.now() < deadline) await sleep(5);
    const waitedMs = performance.now() - started;
    let missing = 0;
    let duplicated = 0;
    let unexpected = 0;
    let behind = 0;
    for (const c of conns) {
      const want = new Set((a.targets[c.group] ?? []).filter((s) => s > c.since));
      const seen = new Set<number>();
      for (const s of c.seqs ?? []) {
        if (seen.has(s)) duplicated++;
        seen.add(s);
        if (!want.has(s)) unexpected++;
      }
      for (const s of want) if (!seen.has(s)) missing++;
      if ((last[c.group] ?? 0) > c.lastSeq) behind++;
    }
    return { waitedMs, sockets: conns.length, missing, duplicated, unexpected, behind };
  },

  reset() {
    hist = new Histogram();
    received = 0;
    phaseStart = performance.now();
    lastDeliveryAt = phaseStart;
    errors = 0;
    errorSamples.length = 0;
    sentPerGroup = new Map();
    for (const c of conns) {
      c.received = 0;
      c.dups = 0;
    }
    return {};
  },

  track(a: { on: boolean }) {
    track = a.on;
    for (const c of conns) c.seqs = track ? [] : null;
    return {};
  },

  /** Waits until every socket has received what was sent to its group, or nothing moved for `quietMs`. */
  async settle(a: { quietMs?: number; timeoutMs?: number } = {}) {
    const quietMs = a.quietMs ?? 1000;
    const deadline = Date.now() + (a.timeoutMs ?? 15_000);
    let last = -1;
    let lastChange = Date.now();
    for (;;) {
      const missing = conns.reduce((n, c) => n + Math.max(0, (sentPerGroup.get(c.group) ?? 0) - c.received), 0);
      if (missing === 0) break;
      if (received !== last) {
        last = received;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > quietMs) break;
      if (Date.now() > deadline) break;
      await sleep(10);
    }
    return stats();
  },

  stats,

  frameCount: () => ({ frames }),

  async natsConnect(a: { url: string }) {
    nc ??= await connect({ servers: a.url, name: 'bench-loadgen', noAsyncTraces: true });
    return {};
  },
  /** Fan-out input: live frames published on NATS, `rate` per second over the groups in turn. */
  /**
   * Fan-out input straight to live subjects, `rate` per second over the groups in turn. With
   * `alsoLog`, each one is also appended to the event log as a post in a room nobody here follows:
   * the system persists as much as when the posts come through the log, and delivers none of it.
   */
  async publish(a: {
    rate: number;
    durationMs: number;
    subjects: Record<string, { subject: string; room: string }>;
    alsoLog?: { subject: string; room: string; author: string }[];
  }) {
    const entries = Object.entries(a.subjects).map(([group, { subject, room }]) => ({ group, subject, room, seq: 0 }));
    for (const e of entries) {
      const members = conns.filter((c) => c.group === e.group);
      e.seq = Math.max(0, ...members.map((c) => c.lastSeq));
    }
    const enc = new TextEncoder();
    const run = await paced(a.rate, a.durationMs, (i) => {
      const e = entries[i % entries.length]!;
      e.seq++;
      nc!.publish(e.subject, enc.encode(messageFrame(e.room, e.seq, performance.now())));
      const quiet = a.alsoLog?.[i % a.alsoLog.length];
      if (quiet) nc!.publish(quiet.subject, enc.encode(postedEvent(quiet.room, quiet.author)));
      sentPerGroup.set(e.group, (sentPerGroup.get(e.group) ?? 0) + 1);
    });
    await nc!.flush();
    return run;
  },

  /**
   * Fan-out input through the event log: `MessagePosted` events appended to the rooms' message
   * subjects (what the room service appends after deciding a post), `rate` per second over the
   * groups in turn. The gateway follows the log, so each one comes back as a live frame.
   */
  async publishEvents(a: { rate: number; durationMs: number; subjects: Record<string, { subject: string; room: string; author: string }> }) {
    const entries = Object.entries(a.subjects).map(([group, e]) => ({ group, ...e }));
    const enc = new TextEncoder();
    const run = await paced(a.rate, a.durationMs, (i) => {
      const e = entries[i % entries.length]!;
      nc!.publish(e.subject, enc.encode(postedEvent(e.room, e.author)));
      sentPerGroup.set(e.group, (sentPerGroup.get(e.group) ?? 0) + 1);
    });
    await nc!.flush();
    return run;
  },

  /** End to end input: chat messages posted over the sockets, `rate` per second, rooms in turn. */
  async post(a: { rate: number; durationMs: number; proto: Proto }) {
    const byGroup = [...groups().values()];
    const turn = byGroup.map(() => 0);
    const run = await paced(a.rate, a.durationMs, (i) => {
      const g = i % byGroup.length;
      const members = byGroup[g]!;
      const c = members[turn[g]!++ % members.length]!;
      const content = `t=${performance.now().toFixed(3)}`;
      const id = `b${process.pid}_${postCount++}`;
      c.ws!.send(
        a.proto === 'sio'
          ? `42["message",{"content":"${content}","client_msg_id":"${id}"}]`
          : `{"type":"message","content":"${content}","client_msg_id":"${id}"}`,
      );
      sentPerGroup.set(c.group, (sentPerGroup.get(c.group) ?? 0) + 1);
    });
    return run;
  },

  /** Capacity: how fast this process publishes to a NATS subject nobody reads. */
  async publishCapacity(a: { durationMs: number; subject: string }) {
    const enc = new TextEncoder();
    const started = performance.now();
    let n = 0;
    while (performance.now() - started < a.durationMs) {
      for (let i = 0; i < 1000; i++) nc!.publish(a.subject, enc.encode(messageFrame('cap', ++n, performance.now())));
      await nc!.flush();
    }
    return { perSecond: (n * 1000) / (performance.now() - started) };
  },

  /** Capacity: how fast this process sends frames over its sockets (to a server that drops them). */
  async sendCapacity(a: { durationMs: number }) {
    const started = performance.now();
    let n = 0;
    const live = conns.filter((c) => c.ws && !c.closed);
    while (performance.now() - started < a.durationMs) {
      for (const c of live) {
        c.ws!.send(`{"type":"message","content":"t=${performance.now().toFixed(3)}","client_msg_id":"cap${n}"}`);
        n++;
      }
      await new Promise((r) => setImmediate(r));
    }
    return { perSecond: (n * 1000) / (performance.now() - started) };
  },

  async stop() {
    for (const c of conns) c.ws?.destroy();
    await nc?.close();
    setTimeout(() => process.exit(0), 10);
    return {};
  },
});
