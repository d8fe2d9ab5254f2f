import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MessageView } from '@chat/contracts';
import { ChatClient } from './client.ts';
import type { RoomEvents, WebSocketLike } from './room-connection.ts';

/** A WebSocket the test plays the server for. */
class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
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
    this.sent.push(data);
  }

  close(code = 1000): void {
    this.closedWith = code;
  }

  // ---- the server's side ----
  frame(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  serverClose(code: number, reason = ''): void {
    this.onclose?.({ code, reason });
  }
}

const message = (seq: number): MessageView => ({
  id: `m${seq}`,
  room_id: 'r1',
  user_id: 'u2',
  username: 'Other',
  content: `#${seq}`,
  avatar: '/avatars/default/u2.svg',
  timestamp: new Date(0).toISOString(),
  type: 'text',
  seq,
  client_msg_id: null,
  edited_at: null,
  deleted: false,
  reactions: [],
});

function setup() {
  FakeSocket.all = [];
  const noFetch = () => Promise.reject(new TypeError('no network in this test'));
  const client = new ChatClient({ baseUrl: 'http://gw.test', session: { userId: 'u1', token: 'u1.999.sig' }, WebSocket: FakeSocket, fetch: noFetch });
  const conn = client.connect('r1', { since: 10, watchNetwork: false, reconnect: { baseMs: 40, maxMs: 80 } });
  const got: RoomEvents['message'][] = [];
  const resumed: RoomEvents['resumed'][] = [];
  const states: string[] = [];
  conn.on('message', (m) => got.push(m));
  conn.on('resumed', (r) => resumed.push(r));
  conn.on('state', (s) => states.push(s.state));
  const socket = async (n: number) => {
    await vi.waitFor(() => expect(FakeSocket.all.length).toBeGreaterThanOrEqual(n), { timeout: 2000 });
    return FakeSocket.all[n - 1]!;
  };
  return { conn, got, resumed, states, socket };
}

afterEach(() => vi.useRealTimers());

describe('room connection (against a fake socket)', () => {
  it('connects with its cursor and its token as a subprotocol', async () => {
    const { conn, socket } = setup();
    const ws = await socket(1);
    expect(ws.url).toBe('ws://gw.test/ws/r1/u1?since=10');
    expect(ws.protocols).toEqual(['chat.v1', 'token.u1.999.sig']);
    ws.frame({ type: 'ready', room_id: 'r1', user_id: 'u1', cursor: 10 });
    expect(conn.state).toBe('live');
    conn.close();
    expect(ws.closedWith).toBe(1000);
  });

  it('after 1013 it comes back at once from its cursor; an overlapping replay shows each message once', async () => {
    const { conn, got, resumed, socket } = setup();
    const first = await socket(1);
    first.frame({ type: 'ready', room_id: 'r1', user_id: 'u1', cursor: 10 });
    first.frame({ type: 'message', message: message(11) });
    first.frame({ type: 'message', message: message(12) });
    first.serverClose(1013, 'fell behind');
    expect(conn.state).toBe('reconnecting');

    const second = await socket(2);
    expect(second.url).toContain('since=12');
    // A replay that starts earlier than it needs to (or a frame delivered twice) changes nothing.
    for (const seq of [11, 12, 13, 13]) second.frame({ type: 'message', message: message(seq) });
    second.frame({ type: 'ready', room_id: 'r1', user_id: 'u1', cursor: 13 });
    second.frame({ type: 'message', message: message(14) });

    expect(got.map((m) => [m.message.seq, m.replayed])).toEqual([
      [11, false],
      [12, false],
      [13, true],
      [14, false],
    ]);
    expect(resumed).toEqual([{ missed: 1, transport: 'websocket', cursor: 13 }]);
    expect(conn.cursor.value).toBe(14);
    conn.close();
  });

  it('4403 ends it: no reconnect', async () => {
    const { conn, states, socket } = setup();
    const ws = await socket(1);
    ws.frame({ type: 'ready', room_id: 'r1', user_id: 'u1', cursor: 10 });
    ws.serverClose(4403, 'no longer a member of this room');
    expect(conn.state).toBe('closed');
    await new Promise((r) => setTimeout(r, 200));
    expect(FakeSocket.all).toHaveLength(1);
    expect(states).not.toContain('reconnecting');
  });

  it('keeps the online list from a snapshot and the diffs after it', async () => {
    const { conn, socket } = setup();
    const ws = await socket(1);
    const seen: string[][] = [];
    conn.on('presence', ({ online }) => seen.push([...online].sort()));
    ws.frame({ type: 'presence', online: ['u1', 'u2'], seq: 1 });
    ws.frame({ type: 'presence', joined: ['u3'], left: ['u2'], seq: 2 });
    expect(seen).toEqual([
      ['u1', 'u2'],
      ['u1', 'u3'],
    ]);
    conn.close();
  });

  it('falls back to long-polling only when sockets fail while plain HTTP answers, not when the network is down', async () => {
    FakeSocket.all = [];
    let network = false;
    const fetch = (async () => {
      if (!network) throw new TypeError('network down');
      return new Response(JSON.stringify({ id: 'r1', name: 'r1', created_by: null, created_at: new Date(0).toISOString(), member_count: 1, last_seq: 10 }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    }) as typeof globalThis.fetch;
    const client = new ChatClient({ baseUrl: 'http://gw.test', session: { userId: 'u1', token: 'u1.999.sig' }, WebSocket: FakeSocket, fetch });
    const conn = client.connect('r1', { since: 10, watchNetwork: false, reconnect: { baseMs: 20, maxMs: 40 }, wsFailuresBeforePoll: 2 });
    const states: string[] = [];
    conn.on('state', (st) => states.push(st.state));
    const failNext = async (n: number) => {
      await vi.waitFor(() => expect(FakeSocket.all.length).toBeGreaterThanOrEqual(n), { timeout: 2000 });
      FakeSocket.all[n - 1]!.serverClose(1006);
    };
    // Network down: sockets and HTTP both fail, however many times; it keeps trying sockets.
    for (let n = 1; n <= 4; n++) await failNext(n);
    await vi.waitFor(() => expect(FakeSocket.all.length).toBeGreaterThanOrEqual(5), { timeout: 2000 });
    expect(conn.transport).not.toBe('poll');
    expect(states).not.toContain('polling');
    // HTTP answers but sockets keep failing: WebSockets are blocked, so it long-polls.
    network = true;
    await failNext(5);
    await failNext(6);
    await vi.waitFor(() => expect(conn.transport).toBe('poll'), { timeout: 2000 });
    conn.close();
  });
});
