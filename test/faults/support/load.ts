import WebSocket from 'ws';
import type { ServiceProcess } from './services.ts';

/** A user of the public API: id and session token. */
export interface Account {
  id: string;
  token: string;
}

type View = { seq: number; client_msg_id: string | null; user_id: string; type: string; room_id: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function request(base: string, method: string, path: string, token: string | undefined, body?: unknown, timeoutMs = 4000) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed as any };
}

/** Registers `n` users through the first gateway that answers (retrying while the stack settles). */
export async function register(gateways: ServiceProcess[], n: number, prefix: string): Promise<Account[]> {
  const accounts: Account[] = [];
  for (let i = 0; i < n; i++) {
    for (let attempt = 0; ; attempt++) {
      const g = gateways[attempt % gateways.length]!;
      const res = await request(g.url, 'POST', '/users', undefined, { username: `${prefix}${i}` }).catch(() => null);
      if (res?.status === 201) {
        accounts.push({ id: res.body.user.id, token: res.body.token });
        break;
      }
      if (attempt > 40) throw new Error(`register failed: ${res?.status} ${JSON.stringify(res?.body)}`);
      await sleep(250);
    }
  }
  return accounts;
}

export async function join(gateways: ServiceProcess[], room: string, accounts: Account[]): Promise<void> {
  for (const a of accounts) {
    for (let attempt = 0; ; attempt++) {
      const res = await request(gateways[attempt % gateways.length]!.url, 'POST', `/rooms/${room}/join`, a.token, { user_id: a.id }).catch(() => null);
      if (res?.status === 200) break;
      if (attempt > 40) throw new Error(`join failed: ${res?.status} ${JSON.stringify(res?.body)}`);
      await sleep(250);
    }
  }
}

/** Every text message of a room, oldest first, paged from the start. */
export async function history(base: string, room: string, token: string, timeoutMs = 5000): Promise<View[]> {
  const all: View[] = [];
  let after = 0;
  for (let page = 0; page < 1000; page++) {
    const res = await request(base, 'GET', `/rooms/${room}/messages?after=${after}&limit=100`, token, undefined, timeoutMs);
    if (res.status !== 200) throw new Error(`history answered ${res.status}: ${JSON.stringify(res.body)}`);
    const views = res.body as View[];
    if (views.length === 0) break;
    all.push(...views);
    after = views[views.length - 1]!.seq;
  }
  return all.filter((v) => v.type === 'text');
}

/**
 * A socket that follows one room the way a client should: on any close it reconnects (to the
 * next gateway that answers) with `since` = the seq of the last message it saw. It records every
 * text message frame, so the end can check: each acked post once, in seq order. Over the seed's
 * one-room socket (`/ws/{room}/{user}`, live from `ready`) or the multiplexed one (`/ws`, one
 * subscription, live from `subscribed`; a refused subscription closes it, and it tries again).
 */
export class ResumingSocket {
  readonly seqs: number[] = [];
  readonly seen = new Map<string, number>();
  cursor = 0;
  resumes = 0;
  private ws: WebSocket | null = null;
  private closing = false;
  private waiters = new Map<string, (seq: number) => void>();

  constructor(
    readonly account: Account,
    private readonly room: string,
    private readonly gateways: () => ServiceProcess[],
    private readonly first: number,
    private readonly giveUpAt: () => number,
    readonly transport: 'room' | 'mux' = 'room',
  ) {}

  async open(): Promise<void> {
    for (let attempt = 0; !this.closing; attempt++) {
      const list = this.gateways();
      const g = list[(this.first + attempt) % list.length]!;
      try {
        await this.connect(g.wsUrl);
        return;
      } catch {
        if (Date.now() > this.giveUpAt() || attempt > 400) throw new Error(`socket of ${this.account.id} could not resume`);
        await sleep(250);
      }
    }
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  private connect(wsUrl: string): Promise<void> {
    const since: Record<string, string> = this.cursor > 0 ? { since: String(this.cursor) } : {};
    const mux = this.transport === 'mux';
    const url = mux
      ? `${wsUrl}/ws?${new URLSearchParams({ token: this.account.token })}`
      : `${wsUrl}/ws/${this.room}/${this.account.id}?${new URLSearchParams({ token: this.account.token, ...since })}`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      let ready = false;
      const timer = setTimeout(() => ws.terminate(), 8000);
      if (mux) ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', room_id: this.room, ...(this.cursor > 0 ? { since: this.cursor } : {}) })));
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data));
        if (mux && !ready && frame.type === 'error' && frame.room_id === this.room) ws.close();
        else if (frame.type === (mux ? 'subscribed' : 'ready') && (!mux || frame.room_id === this.room)) {
          ready = true;
          clearTimeout(timer);
          if (this.cursor === 0) this.cursor = frame.cursor;
          resolve();
        } else if (frame.type === 'message' && frame.message.room_id === this.room) this.take(frame.message as View);
      });
      ws.on('error', () => undefined);
      ws.on('close', () => {
        clearTimeout(timer);
        if (this.ws === ws) this.ws = null;
        if (!ready) reject(new Error('closed before ready'));
        else if (!this.closing) {
          this.resumes++;
          void this.open().catch(() => undefined);
        }
      });
      this.ws = ws;
    });
  }

  private take(m: View): void {
    this.cursor = Math.max(this.cursor, m.seq);
    if (m.type !== 'text') return;
    this.seqs.push(m.seq);
    if (m.client_msg_id) {
      this.seen.set(m.client_msg_id, (this.seen.get(m.client_msg_id) ?? 0) + 1);
      this.waiters.get(m.client_msg_id)?.(m.seq);
    }
  }

  /** Posts over the socket; resolves with the seq when the message comes back on it, else null. */
  async post(content: string, clientMsgId: string, timeoutMs: number): Promise<number | null> {
    if (!this.isOpen) return null;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(clientMsgId);
        resolve(null);
      }, timeoutMs);
      this.waiters.set(clientMsgId, (seq) => {
        clearTimeout(timer);
        this.waiters.delete(clientMsgId);
        resolve(seq);
      });
      const room = this.transport === 'mux' ? { room_id: this.room } : {};
      this.ws?.send(JSON.stringify({ type: 'message', ...room, content, client_msg_id: clientMsgId }));
    });
  }

  close(): void {
    this.closing = true;
    this.ws?.close();
  }
}

export interface Ack {
  id: string;
  poster: number;
  index: number;
  seq: number;
  via: 'rest' | 'ws';
}

export interface Verdict {
  attempted: number;
  acked: number;
  /** Posts given up on (never acked): not lost, since nobody was told they were stored. */
  unacked: number;
  /** Acked, but missing from history. */
  lost: number;
  /** Acked and in history more than once. */
  duplicated: number;
  /** Acked with a seq that history stores under another (2.9.10 replica divergence). */
  seqMismatch: number;
  /** A poster's acked posts out of their order in history. */
  outOfOrder: number;
  /** Per socket: acked posts never delivered to it, delivered more than once, and frames out of seq order. */
  missedLive: number;
  duplicatedLive: number;
  outOfOrderLive: number;
  resumes: number;
}

/**
 * A bounded load of posts into one room: `posters` users each post one message after another
 * (the next only once the last is acked: so their order is known), half over REST and half over
 * their WebSocket; a post that fails or times out is retried with the same `client_msg_id` (over
 * REST, rotating gateways) until acked or given up. `observers` sockets only follow the room.
 */
export class Load {
  readonly acks: Ack[] = [];
  attempted = 0;
  private stopping = false;
  private running: Promise<void>[] = [];
  private sockets: ResumingSocket[] = [];
  private giveUpAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly room: string,
    private readonly posters: Account[],
    private readonly observers: Account[],
    readonly gateways: () => ServiceProcess[],
    private readonly intervalMs = 60,
  ) {}

  async start(): Promise<void> {
    const wsPosters = this.posters.filter((_, i) => i % 2 === 1);
    const accounts = [...wsPosters, ...this.observers];
    // Half on the seed's one-room socket, half on the multiplexed one.
    this.sockets = accounts.map((a, i) => new ResumingSocket(a, this.room, this.gateways, i, () => this.giveUpAt, i % 2 === 0 ? 'room' : 'mux'));
    await Promise.all(this.sockets.map((s) => s.open()));
    this.running = this.posters.map((p, i) => this.post(p, i, i % 2 === 1 ? this.sockets[wsPosters.indexOf(p)]! : null));
  }

  /** Whether every socket has seen the message `clientMsgId` live. */
  seenByAll(clientMsgId: string): boolean {
    return this.sockets.every((s) => s.seen.has(clientMsgId));
  }

  /** Stops posting; waits (bounded) until every post in flight is acked or given up. */
  async stop(graceMs = 45_000): Promise<void> {
    this.stopping = true;
    this.giveUpAt = Date.now() + graceMs;
    await Promise.all(this.running);
  }

  private async post(account: Account, poster: number, socket: ResumingSocket | null): Promise<void> {
    for (let index = 0; !this.stopping; index++) {
      const started = Date.now();
      const id = `${this.room}-p${poster}-${index}`;
      const content = `post ${index} of poster ${poster}`;
      this.attempted++;
      for (let attempt = 0; Date.now() < this.giveUpAt; attempt++) {
        if (socket && attempt === 0) {
          const seq = await socket.post(content, id, 3000);
          if (seq !== null) {
            this.acks.push({ id, poster, index, seq, via: 'ws' });
            break;
          }
          continue;
        }
        const list = this.gateways();
        const g = list[(poster + attempt) % list.length]!;
        const res = await request(g.url, 'POST', `/rooms/${this.room}/messages`, account.token, { user_id: account.id, content, client_msg_id: id }).catch(
          () => null,
        );
        if (res && (res.status === 201 || res.status === 200)) {
          this.acks.push({ id, poster, index, seq: res.body.seq, via: 'rest' });
          break;
        }
        await sleep(200);
      }
      await sleep(Math.max(0, this.intervalMs - (Date.now() - started)));
    }
  }

  /** Waits (bounded) until history and every socket hold every acked post; then judges. */
  async verify(timeoutMs = 30_000): Promise<Verdict> {
    const deadline = Date.now() + timeoutMs;
    const reader = this.observers[0] ?? this.posters[0]!;
    let views: View[] = [];
    const ackedIds = new Set(this.acks.map((a) => a.id));
    for (;;) {
      const list = this.gateways();
      views = await history(list[0]!.url, this.room, reader.token).catch(async () =>
        history(list[list.length - 1]!.url, this.room, reader.token).catch(() => views),
      );
      const inHistory = new Set(views.map((v) => v.client_msg_id));
      const complete = [...ackedIds].every((id) => inHistory.has(id)) && this.sockets.every((s) => [...ackedIds].every((id) => s.seen.has(id)));
      if (complete || Date.now() > deadline) break;
      await sleep(500);
    }
    for (const s of this.sockets) s.close();
    const counts = new Map<string, View[]>();
    for (const v of views) if (v.client_msg_id) counts.set(v.client_msg_id, [...(counts.get(v.client_msg_id) ?? []), v]);
    let lost = 0;
    let duplicated = 0;
    let seqMismatch = 0;
    for (const a of this.acks) {
      const found = counts.get(a.id) ?? [];
      if (found.length === 0) lost++;
      if (found.length > 1) duplicated++;
      if (found.length > 0 && found[0]!.seq !== a.seq) seqMismatch++;
    }
    let outOfOrder = 0;
    const seqOf = (id: string) => counts.get(id)?.[0]?.seq;
    for (let p = 0; p < this.posters.length; p++) {
      const mine = this.acks.filter((a) => a.poster === p && seqOf(a.id) !== undefined).sort((x, y) => x.index - y.index);
      for (let i = 1; i < mine.length; i++) if (seqOf(mine[i]!.id)! <= seqOf(mine[i - 1]!.id)!) outOfOrder++;
    }
    let missedLive = 0;
    let duplicatedLive = 0;
    let outOfOrderLive = 0;
    for (const s of this.sockets) {
      for (const a of this.acks) {
        const n = s.seen.get(a.id) ?? 0;
        if (n === 0) missedLive++;
        if (n > 1) duplicatedLive += n - 1;
      }
      for (let i = 1; i < s.seqs.length; i++) if (s.seqs[i]! <= s.seqs[i - 1]!) outOfOrderLive++;
    }
    return {
      attempted: this.attempted,
      acked: this.acks.length,
      unacked: this.attempted - this.acks.length,
      lost,
      duplicated,
      seqMismatch,
      outOfOrder,
      missedLive,
      duplicatedLive,
      outOfOrderLive,
      resumes: this.sockets.reduce((n, s) => n + s.resumes, 0),
    };
  }
}
