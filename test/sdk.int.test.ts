import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  ApiError,
  ChatClient,
  isAccepted,
  type ChatClientOptions,
  type ConnectionState,
  type FetchLike,
  type MessageView,
  type RoomConnection,
  type RoomEvents,
} from '@chat/client';
import { eventually } from '@chat/testkit';
import { startStack, type Stack } from './support/stack.ts';
import { NetworkProxy } from './support/proxy.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const client = (baseUrl = stack.url, extra: ChatClientOptions = {}) =>
  new ChatClient({ baseUrl, WebSocket: WebSocket as never, retry: { baseMs: 50, maxMs: 500 }, ...extra });

/** Everything a connection emits, with waits on it. */
function record(conn: RoomConnection) {
  const messages: MessageView[] = [];
  const states: ConnectionState[] = [];
  const resumed: RoomEvents['resumed'][] = [];
  const errors: ApiError[] = [];
  const presence: string[][] = [];
  conn.on('message', ({ message }) => messages.push(message));
  conn.on('state', ({ state }) => states.push(state));
  conn.on('resumed', (r) => resumed.push(r));
  conn.on('error', (e) => errors.push(e));
  conn.on('presence', ({ online }) => presence.push(online));
  const texts = () => messages.filter((m) => m.type === 'text').map((m) => m.content);
  return {
    messages,
    states,
    resumed,
    errors,
    presence,
    texts,
    until: (what: string, ok: () => boolean, timeoutMs = 15_000) => eventually(() => (ok() ? true : undefined), what, timeoutMs),
  };
}

describe('SDK: REST', () => {
  it('edits and deletes its own messages; a live connection sees message_updated', async () => {
    const ann = client();
    await ann.register('Ann');
    await ann.join('sdk-edits');
    const conn = ann.connect('sdk-edits');
    const updated: MessageView[] = [];
    conn.on('message_updated', (m) => updated.push(m));
    const posted = await ann.post('sdk-edits', 'draft');
    if (isAccepted(posted)) throw new Error('the read side should be there');
    expect((await ann.editMessage('sdk-edits', posted.id, 'final')).content).toBe('final');
    expect((await ann.deleteMessage('sdk-edits', posted.id)).deleted).toBe(true);
    await eventually(() => (updated.length === 2 ? true : undefined), 'two message_updated frames');
    expect(updated.map((m) => [m.content, m.deleted])).toEqual([
      ['final', false],
      ['', true],
    ]);
    conn.close();
  });

  it('registers, edits the profile, creates and joins rooms, posts and pages history, all typed', async () => {
    const alice = client();
    const { user, token } = await alice.register('Alice');
    expect(token).toBeTruthy();
    expect(alice.session).toEqual({ userId: user.id, token });
    expect((await alice.me()).username).toBe('Alice');
    expect((await alice.updateProfile({ username: 'Alice L' })).username).toBe('Alice L');

    const room = await alice.createRoom({ name: 'Plans', id: 'sdk-plans' });
    expect(room).toMatchObject({ id: 'sdk-plans', name: 'Plans' });
    await expect(alice.createRoom({ name: 'Plans', id: 'sdk-plans' })).rejects.toMatchObject({ status: 409, code: 'conflict' });
    expect((await alice.join('sdk-plans')).joined).toBe(true);
    expect((await alice.join('sdk-plans')).joined).toBe(false);
    expect((await alice.listRooms()).some((r) => r.id === 'sdk-plans')).toBe(true);
    expect((await alice.members('sdk-plans')).map((m) => m.user_id)).toEqual([user.id]);

    for (let i = 0; i < 7; i++) await alice.post('sdk-plans', `p${i}`);
    const newest = await alice.history('sdk-plans', { limit: 3 });
    expect(newest.map((m) => m.content)).toEqual(['p4', 'p5', 'p6']);
    const before = await alice.history('sdk-plans', { before: newest[0]!.seq, limit: 3 });
    expect(before.map((m) => m.content)).toEqual(['p1', 'p2', 'p3']);
    expect(newest.every((m) => m.username === 'Alice L' && m.avatar.startsWith('/avatars/'))).toBe(true);

    const err = await alice.getRoom('no-such-room').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 404, code: 'not_found', retryable: false });
    const stranger = client();
    await expect(stranger.listRooms()).rejects.toMatchObject({ status: 401 });
  });

  it('a post whose answer is lost is retried with the same client_msg_id: one message', async () => {
    let lost = 0;
    // The request reaches the server, then the answer is lost on the way back.
    const lossyFetch: FetchLike = async (input, init) => {
      const res = await fetch(input, init);
      if (init.method === 'POST' && input.endsWith('/messages') && lost++ < 2) {
        await res.arrayBuffer();
        throw new TypeError('fetch failed: connection reset');
      }
      return res;
    };
    const bob = client(stack.url, { fetch: lossyFetch });
    await bob.register('Bob');
    await bob.join('sdk-retry');
    const posted = await bob.post('sdk-retry', 'only once please');
    expect(lost).toBe(3);
    expect(isAccepted(posted)).toBe(false);
    const history = await bob.history('sdk-retry');
    const copies = history.filter((m) => m.content === 'only once please');
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ id: (posted as MessageView).id, client_msg_id: (posted as MessageView).client_msg_id });

    // The same id posted again, later, from anywhere: still the one message.
    const again = await bob.post('sdk-retry', 'only once please', { clientMsgId: (posted as MessageView).client_msg_id! });
    expect((again as MessageView).id).toBe((posted as MessageView).id);
    expect((await bob.history('sdk-retry')).filter((m) => m.content === 'only once please')).toHaveLength(1);
  });
});

describe('SDK: live room', () => {
  it('reconnects with backoff after the network drops and resumes from its cursor: nothing missed, nothing twice', async () => {
    const proxy = await NetworkProxy.start(stack.url);
    try {
      const writer = client();
      await writer.register('Writer');
      await writer.join('sdk-live');
      const reader = client(proxy.url);
      await reader.register('Reader');
      await reader.join('sdk-live');
      const history = await reader.history('sdk-live');
      const conn = reader.connect('sdk-live', { since: history.at(-1)?.seq, reconnect: { baseMs: 200, maxMs: 1000 } });
      const seen = record(conn);
      await seen.until('live', () => conn.state === 'live');
      expect(conn.transport).toBe('websocket');

      for (let i = 0; i < 5; i++) await writer.post('sdk-live', `before${i}`);
      await seen.until('5 live messages', () => seen.texts().length === 5);
      expect(seen.presence.at(-1)).toContain(reader.userId);

      // The network goes away for a while; meanwhile the room goes on.
      proxy.down = true;
      proxy.cut();
      await seen.until('noticed the drop', () => conn.state === 'reconnecting');
      for (let i = 0; i < 30; i++) await writer.post('sdk-live', `during${i}`);
      await new Promise((r) => setTimeout(r, 1500));
      proxy.down = false;

      await seen
        .until('caught up', () => seen.resumed.length >= 1 && conn.state === 'live')
        .catch((err: Error) => {
          throw new Error(`${err.message}; state ${conn.state}, states ${seen.states.join(' ')}, resumed ${JSON.stringify(seen.resumed)}`);
        });
      expect(seen.resumed[0]).toMatchObject({ missed: 30, transport: 'websocket' });
      await writer.post('sdk-live', 'after');
      await seen.until('the live one after', () => seen.texts().includes('after'));

      const expected = [...Array.from({ length: 5 }, (_, i) => `before${i}`), ...Array.from({ length: 30 }, (_, i) => `during${i}`), 'after'];
      expect(seen.texts()).toEqual(expected);
      const seqs = seen.messages.map((m) => m.seq);
      expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
      // More than one try while the network was down: the backoff kept trying, not once and done.
      expect(seen.states.filter((s) => s === 'reconnecting').length).toBeGreaterThanOrEqual(2);
      conn.close();
      expect(conn.state).toBe('closed');
    } finally {
      await proxy.stop();
    }
  });

  it('falls back to long-polling when WebSockets are blocked, and goes back to a WebSocket when they are not', async () => {
    const proxy = await NetworkProxy.start(stack.url);
    proxy.blockWebSockets = true;
    try {
      const other = client();
      await other.register('Other');
      await other.join('sdk-poll');
      const otherConn = other.connect('sdk-poll');
      await eventually(() => (otherConn.state === 'live' ? true : undefined), 'other live');

      const poller = client(proxy.url);
      await poller.register('Poller');
      await poller.join('sdk-poll');
      const conn = poller.connect('sdk-poll', { reconnect: { baseMs: 50, maxMs: 200 }, pollWaitSeconds: 5, pollPresenceMs: 300, wsProbeMs: 60_000 });
      const seen = record(conn);
      await seen.until('polling', () => conn.state === 'polling');
      expect(conn.transport).toBe('poll');

      for (let i = 0; i < 3; i++) await other.post('sdk-poll', `o${i}`);
      await seen.until('3 messages by long-poll', () => seen.texts().length === 3);
      const mine = await conn.send('from the poller');
      expect(isAccepted(mine)).toBe(false);
      await seen.until('own message', () => seen.texts().includes('from the poller'));
      // Presence comes by REST while polling: the other user, on a WebSocket, is online.
      await seen.until('presence', () => seen.presence.some((p) => p.includes(other.userId)));
      expect(seen.texts()).toEqual(['o0', 'o1', 'o2', 'from the poller']);
      conn.close();

      // WebSockets get through again: a connection that probes soon switches back, nothing twice.
      const second = poller.connect('sdk-poll', { since: seen.messages.at(-1)!.seq, pollWaitSeconds: 5, wsProbeMs: 500 });
      const seen2 = record(second);
      await seen2.until('polling again', () => second.state === 'polling');
      proxy.blockWebSockets = false;
      await other.post('sdk-poll', 'while switching');
      await seen2.until('back on a WebSocket', () => second.state === 'live' && second.transport === 'websocket');
      await other.post('sdk-poll', 'over the socket');
      await seen2.until('both', () => seen2.texts().includes('over the socket'));
      expect(seen2.texts()).toEqual(['while switching', 'over the socket']);
      second.close();
      otherConn.close();
    } finally {
      await proxy.stop();
    }
  });

  it('without any WebSocket (plain Node 20) it long-polls from the start', async () => {
    const u = new ChatClient({ baseUrl: stack.url, WebSocket: undefined });
    (u as { WebSocket: unknown }).WebSocket = undefined;
    await u.register('NoSockets');
    await u.join('sdk-nows');
    const conn = u.connect('sdk-nows', { pollWaitSeconds: 5 });
    const seen = record(conn);
    await seen.until('polling', () => conn.state === 'polling');
    await conn.send('hello');
    await seen.until('own message back', () => seen.texts().includes('hello'));
    conn.close();
  });

  it('stops for good when the user leaves the room (4403), instead of reconnecting', async () => {
    const u = client();
    await u.register('Leaver');
    await u.join('sdk-leave');
    const conn = u.connect('sdk-leave');
    const seen = record(conn);
    await seen.until('live', () => conn.state === 'live');
    await u.leave('sdk-leave');
    await seen.until('closed', () => conn.state === 'closed');
    expect(seen.errors.map((e) => e.code)).toContain('not_member');
    await new Promise((r) => setTimeout(r, 1000));
    expect(seen.states.at(-1)).toBe('closed');
    expect(seen.states).not.toContain('reconnecting');
  });
});
