import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatClient } from './client.ts';
import { type ConnectionEvents, UNSUBSCRIBE_ANSWER_MS } from './connection.ts';
import type { NetworkWatch } from './network.ts';
import type { RoomEvents } from './room.ts';
import type { MessageView } from './wire.ts';
import type { WebSocketLike } from './ws-transport.ts';
import { aMessage } from '@chat/contracts/fixtures';

/** A WebSocket the test plays the server for. */
class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  closedWith: number | undefined;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeSocket.all.push(this);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(code = 1000): void {
    this.closedWith = code;
  }

  // ---- the server's side ----
  welcome(): void {
    this.readyState = 1;
    this.frame({ type: 'welcome', user_id: 'u1' });
  }

  frame(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

/** The browser's online/offline events, switched by the test. */
class FakeNetwork implements NetworkWatch {
  onLine = true;
  private readonly target = new EventTarget();
  addEventListener(type: 'online' | 'offline', f: () => void): void {
    this.target.addEventListener(type, f);
  }
  removeEventListener(type: 'online' | 'offline', f: () => void): void {
    this.target.removeEventListener(type, f);
  }
  set(online: boolean): void {
    this.onLine = online;
    this.target.dispatchEvent(new Event(online ? 'online' : 'offline'));
  }
}

const message = (seq: number, extra: Partial<MessageView> = {}): MessageView => aMessage(seq, { user_id: 'u2', username: 'Other', ...extra });

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** The gateway's HTTP side: `up` says whether it answers at all; posts are recorded. */
function fakeHttp() {
  const http = {
    up: false,
    posts: [] as { room: string; content: string; client_msg_id: string }[],
    fetch: async (input: string, init: RequestInit): Promise<Response> => {
      if (!http.up) throw new TypeError('fetch failed: connection refused');
      const path = new URL(input).pathname;
      if (init.method === 'POST' && path.endsWith('/messages')) {
        const body = JSON.parse(String(init.body));
        http.posts.push({ room: path.split('/')[2]!, ...body });
        return json(message(100 + http.posts.length, { user_id: 'u1', content: body.content, client_msg_id: body.client_msg_id }), 201);
      }
      if (path.endsWith('/members')) return json([{ user_id: 'u2', username: 'Bea', avatar: '/avatars/abc.webp', joined_at: new Date(0).toISOString() }]);
      if (path.startsWith('/users/')) return json({ id: 'u1', username: 'Me', avatar: '/avatars/default/u1.svg', avatar_kind: 'default' });
      return json({ error: { code: 'not_found', message: 'no' } }, 404);
    },
  };
  return http;
}

function setup(opts: { random?: () => number } = {}) {
  FakeSocket.all = [];
  const http = fakeHttp();
  const network = new FakeNetwork();
  const client = new ChatClient({
    baseUrl: 'http://gw.test',
    session: { userId: 'u1', token: 'u1.999.sig' },
    WebSocket: FakeSocket,
    fetch: http.fetch,
    connection: { network, random: opts.random ?? (() => 1), heartbeatMs: 60_000, openTimeoutMs: 60_000 },
  });
  const conn = client.connect();
  const states: ConnectionEvents['state'][] = [];
  conn.on('state', (s) => states.push(s));
  const socket = (n: number): FakeSocket => {
    const s = FakeSocket.all[n - 1];
    if (!s) throw new Error(`no socket #${n} (${FakeSocket.all.length} opened)`);
    return s;
  };
  return { client, conn, http, network, states, socket };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the one connection (against a fake gateway)', () => {
  it('opens one socket for every room, with its token as a subprotocol; frames go to their room', async () => {
    const { client, conn, socket } = setup();
    const a = client.subscribe('r1');
    const b = client.subscribe('r2', { since: 7 });
    expect(conn.state).toBe('connecting');
    expect([a.state, b.state]).toEqual(['pending', 'pending']);
    const ws = socket(1);
    expect(FakeSocket.all).toHaveLength(1);
    expect(ws.url).toBe('ws://gw.test/ws');
    expect(ws.protocols).toEqual(['chat.v1', 'token.u1.999.sig']);
    ws.welcome();
    expect(conn.state).toBe('connected');
    expect(ws.sent).toEqual([
      { type: 'subscribe', room_id: 'r1' },
      { type: 'subscribe', room_id: 'r2', since: 7 },
    ]);
    expect([a.state, b.state]).toEqual(['subscribing', 'subscribing']);

    const got: string[] = [];
    a.on('message', ({ message }) => got.push(`a${message.seq}`));
    b.on('message', ({ message }) => got.push(`b${message.seq}`));
    ws.frame({ type: 'subscribed', room_id: 'r1', cursor: 10 });
    ws.frame({ type: 'message', room_id: 'r2', message: message(8, { room_id: 'r2' }), seq: 8 });
    ws.frame({ type: 'subscribed', room_id: 'r2', cursor: 8 });
    ws.frame({ type: 'message', room_id: 'r1', message: message(11), seq: 11 });
    expect(got).toEqual(['b8', 'a11']);
    expect([a.state, b.state]).toEqual(['live', 'live']);
    // Leaving a room keeps the connection for the others.
    b.close();
    expect(ws.sent.at(-1)).toEqual({ type: 'unsubscribe', room_id: 'r2' });
    expect(b.state).toBe('closed');
    client.disconnect();
    expect(ws.closedWith).toBe(1000);
    expect(conn.state).toBe('closed');
  });

  it('inbox frames are the connection’s own events, for followed rooms and others alike, and never reach a room', () => {
    const { client, conn, socket } = setup();
    const followed = client.subscribe('r1');
    const activity: ConnectionEvents['roomActivity'][] = [];
    const markers: ConnectionEvents['readMarker'][] = [];
    const roomGot: unknown[] = [];
    conn.on('roomActivity', (a) => activity.push(a));
    conn.on('readMarker', (m) => markers.push(m));
    followed.on('message', (m) => roomGot.push(m));
    followed.on('message_updated', (m) => roomGot.push(m));
    const ws = socket(1);
    ws.welcome();
    ws.frame({ type: 'subscribed', room_id: 'r1', cursor: 10 });
    ws.frame({ type: 'room_activity', room_id: 'r9', message: message(4, { room_id: 'r9' }), seq: 4 });
    ws.frame({ type: 'read_marker', room_id: 'r1', seq: 10 });
    ws.frame({ type: 'read_marker', room_id: 'r9', seq: 4 });
    expect(activity).toEqual([{ room_id: 'r9', message: message(4, { room_id: 'r9' }), seq: 4 }]);
    expect(markers).toEqual([
      { room_id: 'r1', seq: 10 },
      { room_id: 'r9', seq: 4 },
    ]);
    expect(roomGot).toEqual([]);
    // The room's own cursor is untouched by the inbox.
    expect(followed.cursor.value).toBe(10);
    client.disconnect();
  });

  it('after the gateway goes away, each room resumes from its own cursor, and a repeat is dropped', async () => {
    const { client, conn, socket } = setup();
    const a = client.subscribe('r1');
    const got: RoomEvents['message'][] = [];
    const resumed: RoomEvents['resumed'][] = [];
    a.on('message', (m) => got.push(m));
    a.on('resumed', (r) => resumed.push(r));
    socket(1).welcome();
    socket(1).frame({ type: 'subscribed', room_id: 'r1', cursor: 10 });
    socket(1).frame({ type: 'message', room_id: 'r1', message: message(11), seq: 11 });
    socket(1).serverClose(1001, 'server shutting down');
    expect(conn.state).toBe('reconnecting');
    expect(a.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(300);
    const second = socket(2);
    second.welcome();
    expect(second.sent).toEqual([{ type: 'subscribe', room_id: 'r1', since: 11 }]);
    for (const seq of [11, 12]) second.frame({ type: 'message', room_id: 'r1', message: message(seq), seq });
    second.frame({ type: 'subscribed', room_id: 'r1', cursor: 12 });
    expect(got.map((m) => [m.message.seq, m.replayed])).toEqual([
      [11, false],
      [12, true],
    ]);
    expect(resumed).toEqual([{ missed: 1, cursor: 12 }]);
    client.disconnect();
  });

  it('a profile change, a join and its member frame move the cursor too: a resume does not bring them again', async () => {
    const { client, socket } = setup();
    const a = client.subscribe('r1');
    const profiles: string[] = [];
    const joined: string[] = [];
    a.on('profile_updated', (p) => profiles.push(p.username));
    a.on('member_joined', (m) => joined.push(m.user_id));
    socket(1).welcome();
    socket(1).frame({ type: 'subscribed', room_id: 'r1', cursor: 10 });
    socket(1).frame({ type: 'profile_updated', room_id: 'r1', user: { id: 'u2', username: 'Bea2', avatar: '/x.webp', avatar_kind: 'custom' }, seq: 11 });
    // A join: its system line, then its member frame, at the same seq.
    socket(1).frame({ type: 'message', room_id: 'r1', message: message(12), seq: 12 });
    socket(1).frame({ type: 'member_joined', room_id: 'r1', member: { user_id: 'u3', username: 'Cy', avatar: '/c.svg', joined_at: '' }, seq: 12 });
    socket(1).serverClose(1001, 'server shutting down');
    await vi.advanceTimersByTimeAsync(300);
    socket(2).welcome();
    // Before, the profile change did not move the cursor: the resume asked from 10 and got it again.
    expect(socket(2).sent).toEqual([{ type: 'subscribe', room_id: 'r1', since: 12 }]);
    socket(2).frame({ type: 'profile_updated', room_id: 'r1', user: { id: 'u2', username: 'Bea2', avatar: '/x.webp', avatar_kind: 'custom' }, seq: 11 });
    expect(profiles).toEqual(['Bea2']);
    expect(joined).toEqual(['u3']);
    client.disconnect();
  });

  it('backs off with jitter, never more than 5 s between tries, and starts over at once when the network is back', async () => {
    const { conn, network, states, socket } = setup({ random: () => 1 });
    // The gateway is down: every socket fails before `welcome`, and HTTP gets no answer either.
    for (let n = 1; n <= 8; n++) {
      socket(n).serverClose(1006);
      await vi.advanceTimersByTimeAsync(0);
      expect(conn.state).toBe('reconnecting');
      const wait = states.at(-1)!.retryInMs!;
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(FakeSocket.all).toHaveLength(n);
      await vi.advanceTimersByTimeAsync(1);
      expect(FakeSocket.all).toHaveLength(n + 1);
    }
    const waits = states.filter((s) => s.state === 'reconnecting').map((s) => s.retryInMs);
    expect(waits).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000, 5000]);

    // The network drops and comes back: no waiting out the backoff, and the next wait is short again.
    network.set(false);
    expect(conn.state).toBe('offline');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(9);
    network.set(true);
    expect(FakeSocket.all).toHaveLength(10);
    socket(10).serverClose(1006);
    await vi.advanceTimersByTimeAsync(0);
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', retryInMs: 500 });
    conn.close();
  });

  it('spreads the waits: half the step fixed, the other half random', async () => {
    const { states, socket, conn } = setup({ random: () => 0 });
    for (let n = 1; n <= 6; n++) {
      socket(n).serverClose(1006);
      await vi.advanceTimersByTimeAsync(0);
      await vi.advanceTimersByTimeAsync(states.at(-1)!.retryInMs!);
    }
    expect(states.filter((s) => s.state === 'reconnecting').map((s) => s.retryInMs)).toEqual([250, 500, 1000, 2000, 2500, 2500]);
    conn.close();
  });

  it('"reconnect now" skips the wait', async () => {
    const { conn, states, socket } = setup();
    for (let n = 1; n <= 5; n++) {
      socket(n).serverClose(1006);
      await vi.advanceTimersByTimeAsync(0);
      if (n < 5) await vi.advanceTimersByTimeAsync(states.at(-1)!.retryInMs!);
    }
    expect(states.at(-1)!.retryInMs).toBe(5000);
    conn.reconnectNow();
    expect(FakeSocket.all).toHaveLength(6);
    socket(6).welcome();
    expect(conn.state).toBe('connected');
    conn.close();
  });

  it('a message typed while the gateway is away is posted, with its client_msg_id, as soon as the connection is back', async () => {
    const { client, conn, http, socket } = setup();
    const room = client.subscribe('r1');
    socket(1).welcome();
    socket(1).frame({ type: 'subscribed', room_id: 'r1', cursor: 10 });
    socket(1).serverClose(1001, 'server shutting down');
    expect(conn.state).toBe('reconnecting');
    let settled: unknown = null;
    const sending = room.send('typed during the restart', { clientMsgId: 'cmid-1' }).then((r) => {
      settled = r;
    });
    await vi.advanceTimersByTimeAsync(250);
    expect(http.posts).toEqual([]);
    // The gateway is back.
    http.up = true;
    await vi.advanceTimersByTimeAsync(50);
    socket(2).welcome();
    await sending;
    expect(http.posts).toEqual([{ room: 'r1', content: 'typed during the restart', client_msg_id: 'cmid-1', user_id: 'u1' }]);
    expect(settled).toMatchObject({ client_msg_id: 'cmid-1', content: 'typed during the restart' });
    conn.close();
  });

  it('a post that got no answer is tried again when the connection is back, with the same client_msg_id', async () => {
    const { client, conn, http, socket } = setup();
    const room = client.subscribe('r1');
    socket(1).welcome();
    // Connected, but the gateway dies as the post goes out.
    const sending = room.send('in flight', { clientMsgId: 'cmid-2' });
    await vi.advanceTimersByTimeAsync(0);
    socket(1).serverClose(1006);
    http.up = true;
    await vi.advanceTimersByTimeAsync(5000);
    socket(2).welcome();
    // The retry waits for the room's replay: its message is not in it, so it goes out.
    socket(2).frame({ type: 'subscribed', room_id: 'r1', cursor: 0 });
    const result = await sending;
    expect(result).toMatchObject({ client_msg_id: 'cmid-2' });
    expect(http.posts.map((p) => p.client_msg_id)).toEqual(['cmid-2']);
    conn.close();
  });

  it('a post that landed though its answer was lost comes back in the replay: that is its answer, and it is not posted again', async () => {
    const { client, conn, http, socket } = setup();
    const room = client.subscribe('r1');
    socket(1).welcome();
    socket(1).frame({ type: 'subscribed', room_id: 'r1', cursor: 5 });
    const sending = room.send('landed', { clientMsgId: 'cmid-3' });
    await vi.advanceTimersByTimeAsync(0);
    // The post reached the gateway, whose answer was lost with the connection.
    socket(1).serverClose(1006);
    http.up = true;
    await vi.advanceTimersByTimeAsync(5000);
    socket(2).welcome();
    const stored = message(6, { user_id: 'u1', content: 'landed', client_msg_id: 'cmid-3' });
    socket(2).frame({ type: 'message', room_id: 'r1', message: stored, seq: 6 });
    socket(2).frame({ type: 'subscribed', room_id: 'r1', cursor: 6 });
    expect(await sending).toEqual(stored);
    expect(http.posts).toEqual([]);
    conn.close();
  });

  it('a room the user may not follow is refused on its own; the socket and the other rooms go on', async () => {
    const { client, conn, socket } = setup();
    const mine = client.subscribe('mine');
    const theirs = client.subscribe('theirs');
    const errors: string[] = [];
    theirs.on('error', (e) => errors.push(e.code));
    socket(1).welcome();
    socket(1).frame({ type: 'error', room_id: 'theirs', code: 'not_member', message: 'not a member' });
    socket(1).frame({ type: 'subscribed', room_id: 'mine', cursor: 3 });
    expect([mine.state, theirs.state, conn.state]).toEqual(['live', 'refused', 'connected']);
    expect(errors).toEqual(['not_member']);
    // A reconnect does not ask for the refused room again.
    socket(1).serverClose(1001);
    await vi.advanceTimersByTimeAsync(300);
    socket(2).welcome();
    expect(socket(2).sent).toEqual([{ type: 'subscribe', room_id: 'mine', since: 3 }]);
    conn.close();
  });

  it('a subscription refused for its rate is asked for again, from the same cursor, until it goes live', async () => {
    const { client, conn, socket } = setup();
    const a = client.subscribe('a');
    const b = client.subscribe('b', { since: 5 });
    const errors: string[] = [];
    b.on('error', (e) => errors.push(e.code));
    socket(1).welcome();
    socket(1).frame({ type: 'subscribed', room_id: 'a', cursor: 3 });
    // What the gateway answers a subscribe past the user's allowance: the error names the room.
    socket(1).frame({ type: 'error', room_id: 'b', code: 'rate_limited', message: 'too many frames; slow down' });
    expect([a.state, b.state]).toEqual(['live', 'subscribing']);
    expect(errors).toEqual(['rate_limited']);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(socket(1).sent.filter((f) => f.room_id === 'b')).toEqual([
      { type: 'subscribe', room_id: 'b', since: 5 },
      { type: 'subscribe', room_id: 'b', since: 5 },
    ]);
    socket(1).frame({ type: 'subscribed', room_id: 'b', cursor: 5 });
    expect(b.state).toBe('live');
    conn.close();
  });

  it("a room closed and followed again at once: frames the gateway sent the old subscription are not the new one's", async () => {
    const { client, conn, socket } = setup();
    const old = client.subscribe('a');
    socket(1).welcome();
    socket(1).frame({ type: 'subscribed', room_id: 'a', cursor: 60 });
    old.close();
    expect(socket(1).sent.at(-1)).toEqual({ type: 'unsubscribe', room_id: 'a' });
    const again = client.subscribe('a', { since: 50 });
    const got: number[] = [];
    again.on('message', ({ message }) => got.push(message.seq));
    // Live frames the gateway sent the old subscription before it read the unsubscribe, then its
    // answer, then the new subscription's replay from 50.
    socket(1).frame({ type: 'message', room_id: 'a', message: message(61, { room_id: 'a' }), seq: 61 });
    socket(1).frame({ type: 'unsubscribed', room_id: 'a' });
    for (let seq = 51; seq <= 61; seq++) socket(1).frame({ type: 'message', room_id: 'a', message: message(seq, { room_id: 'a' }), seq });
    socket(1).frame({ type: 'subscribed', room_id: 'a', cursor: 61 });
    // Before, 61 moved the new room's cursor past the replay, and 51..60 were dropped as repeats.
    expect(got).toEqual([51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61]);
    expect(again.state).toBe('live');
    conn.close();
  });

  it('an unsubscribe a gateway never answers silences the room for a few seconds, then it is asked for again', async () => {
    const { client, conn, socket } = setup();
    socket(1).welcome();
    const old = client.subscribe('a');
    socket(1).frame({ type: 'subscribed', room_id: 'a', cursor: 5 });
    old.close();
    const again = client.subscribe('a', { since: 5 });
    // (a gateway from before every unsubscribe was answered): the new subscription's answer is
    // taken for the old one's.
    socket(1).frame({ type: 'subscribed', room_id: 'a', cursor: 5 });
    expect(again.state).toBe('subscribing');
    await vi.advanceTimersByTimeAsync(UNSUBSCRIBE_ANSWER_MS);
    expect(socket(1).sent.filter((f) => f.room_id === 'a')).toEqual([
      { type: 'subscribe', room_id: 'a' },
      { type: 'unsubscribe', room_id: 'a' },
      { type: 'subscribe', room_id: 'a', since: 5 },
      { type: 'subscribe', room_id: 'a', since: 5 },
    ]);
    socket(1).frame({ type: 'message', room_id: 'a', message: message(6, { room_id: 'a' }), seq: 6 });
    socket(1).frame({ type: 'subscribed', room_id: 'a', cursor: 6 });
    expect(again.state).toBe('live');
    conn.close();
  });

  it('presence comes with names and avatars, from a snapshot and the diffs after it', async () => {
    const { client, http, socket, conn } = setup();
    http.up = true;
    const room = client.subscribe('r1');
    const seen: RoomEvents['presence'][] = [];
    room.on('presence', (p) => seen.push(p));
    socket(1).welcome();
    await vi.advanceTimersByTimeAsync(0);
    socket(1).frame({ type: 'presence', room_id: 'r1', online: ['u2'], seq: 1 });
    socket(1).frame({ type: 'presence', room_id: 'r1', joined: ['u1'], seq: 2 });
    socket(1).frame({
      type: 'profile_updated',
      room_id: 'r1',
      user: { id: 'u2', username: 'Bea B', avatar: '/avatars/new.webp', avatar_kind: 'custom' },
      seq: 5,
    });
    expect(seen.at(-1)!.online).toEqual([
      { user_id: 'u2', username: 'Bea B', avatar: '/avatars/new.webp' },
      { user_id: 'u1', username: 'u1', avatar: '/avatars/default/u1.svg' },
    ]);
    expect(seen[0]!.online).toEqual([{ user_id: 'u2', username: 'Bea', avatar: '/avatars/abc.webp' }]);
    conn.close();
  });
});
