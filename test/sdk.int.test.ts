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
  type Person,
  type Room,
  type RoomEvents,
  type WebSocketCtor,
} from '@chat/client';
import { eventually } from '@chat/testkit';
import { spawnGateway } from './support/process.ts';
import { startStack, type Stack } from './support/stack.ts';
import { NetworkProxy } from './support/proxy.ts';

// The SDK against the real stack: REST, and the one connection that carries every room, through
// a network drop, a gateway restart with a message in flight, and WebSockets blocked.

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const FAST = { reconnect: { baseMs: 200, maxMs: 1000 }, network: null };
const client = (baseUrl = stack.url, extra: ChatClientOptions = {}) =>
  new ChatClient({ baseUrl, WebSocket: WebSocket as never, retry: { baseMs: 50, maxMs: 500 }, connection: FAST, ...extra });

/** A WebSocket constructor that counts the sockets it opens. */
function countingWebSocket(): { Ctor: WebSocketCtor; opened: string[] } {
  const opened: string[] = [];
  // A class, not a function: it must be callable with `new`.
  class Ctor extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      opened.push(url);
      super(url, protocols);
    }
  }
  return { Ctor: Ctor as unknown as WebSocketCtor, opened };
}

/** Everything a room and its connection emit, with waits on it. */
function record(room: Room) {
  const messages: MessageView[] = [];
  const states: ConnectionState[] = [];
  const resumed: RoomEvents['resumed'][] = [];
  const errors: ApiError[] = [];
  const presence: Person[][] = [];
  room.on('message', ({ message }) => messages.push(message));
  room.connection.on('state', ({ state }) => states.push(state));
  room.on('resumed', (r) => resumed.push(r));
  room.on('error', (e) => errors.push(e));
  room.on('presence', ({ online }) => presence.push(online));
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
    const room = ann.subscribe('sdk-edits');
    const updated: MessageView[] = [];
    room.on('message_updated', (m) => updated.push(m));
    await eventually(() => (room.state === 'live' ? true : undefined), 'live');
    const posted = await ann.post('sdk-edits', 'draft');
    if (isAccepted(posted)) throw new Error('the read side should be there');
    const edited = await ann.editMessage('sdk-edits', posted.id, 'final');
    expect(edited.content).toBe('final');
    const deleted = await ann.deleteMessage('sdk-edits', posted.id);
    expect(deleted.deleted).toBe(true);
    await eventually(() => (updated.length === 2 ? true : undefined), 'two message_updated frames');
    expect(updated.map((m) => [m.content, m.deleted])).toEqual([
      ['final', false],
      ['', true],
    ]);
    // Every copy names the change it shows: answers, frames and history agree, newest highest.
    expect(posted.changed_seq).toBe(posted.seq);
    expect(edited.changed_seq).toBeGreaterThan(posted.seq);
    expect(deleted.changed_seq).toBeGreaterThan(edited.changed_seq);
    expect(updated.map((m) => m.changed_seq)).toEqual([edited.changed_seq, deleted.changed_seq]);
    const { messages } = await ann.historyPage('sdk-edits', { limit: 10 });
    expect(messages.find((m) => m.id === posted.id)?.changed_seq).toBe(deleted.changed_seq);
    ann.disconnect();
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

describe('SDK: one connection', () => {
  it('carries every room on one WebSocket; each room has its own state and cursor', async () => {
    const writer = client();
    await writer.register('Writer1');
    const { Ctor, opened } = countingWebSocket();
    const reader = client(stack.url, { WebSocket: Ctor });
    await reader.register('Reader1');
    for (const r of ['one-a', 'one-b', 'one-c']) {
      await writer.join(r);
      await reader.join(r);
    }
    const rooms = ['one-a', 'one-b', 'one-c'].map((r) => reader.subscribe(r));
    const seen = rooms.map(record);
    await eventually(() => (rooms.every((r) => r.state === 'live') ? true : undefined), 'all live');
    expect(reader.connection?.state).toBe('connected');
    expect(reader.connection?.transportKind).toBe('websocket');
    for (const r of ['one-a', 'one-b', 'one-c']) await writer.post(r, `to ${r}`);
    for (const [i, r] of ['one-a', 'one-b', 'one-c'].entries()) await seen[i]!.until(`message in ${r}`, () => seen[i]!.texts().includes(`to ${r}`));
    expect(seen.map((x) => x.texts())).toEqual([['to one-a'], ['to one-b'], ['to one-c']]);
    // One socket for the three rooms, on the multiplexed endpoint.
    expect(opened).toEqual([`${stack.wsUrl}/ws`]);
    // Closing a room leaves the others.
    rooms[0]!.close();
    await writer.post('one-a', 'a after');
    await writer.post('one-b', 'b after');
    await seen[1]!.until('b still live', () => seen[1]!.texts().includes('b after'));
    expect(seen[0]!.texts()).toEqual(['to one-a']);
    reader.disconnect();
    expect(rooms.map((r) => r.state)).toEqual(['closed', 'closed', 'closed']);
  });

  it('reconnects with backoff after the network drops and resumes every room from its cursor: nothing missed, nothing twice', async () => {
    const proxy = await NetworkProxy.start(stack.url);
    try {
      const writer = client();
      await writer.register('Writer');
      await writer.join('sdk-live');
      const reader = client(proxy.url);
      await reader.register('Reader');
      await reader.join('sdk-live');
      const pager = reader.historyPager('sdk-live');
      await pager.older();
      const room = reader.subscribe('sdk-live', { since: pager.newestSeq });
      const seen = record(room);
      await seen.until('live', () => room.state === 'live');

      for (let i = 0; i < 5; i++) await writer.post('sdk-live', `before${i}`);
      await seen.until('5 live messages', () => seen.texts().length === 5);
      await seen.until('own presence, with a name', () => seen.presence.at(-1)?.some((p) => p.user_id === reader.userId && p.username === 'Reader') === true);

      // The network goes away for a while; meanwhile the room goes on.
      proxy.down = true;
      proxy.cut();
      await seen.until('noticed the drop', () => reader.connection?.state === 'reconnecting');
      for (let i = 0; i < 30; i++) await writer.post('sdk-live', `during${i}`);
      await new Promise((r) => setTimeout(r, 1500));
      proxy.down = false;

      await seen.until('caught up', () => seen.resumed.length >= 1 && room.state === 'live');
      expect(seen.resumed[0]).toMatchObject({ missed: 30 });
      await writer.post('sdk-live', 'after');
      await seen.until('the live one after', () => seen.texts().includes('after'));

      const expected = [...Array.from({ length: 5 }, (_, i) => `before${i}`), ...Array.from({ length: 30 }, (_, i) => `during${i}`), 'after'];
      expect(seen.texts()).toEqual(expected);
      const seqs = seen.messages.map((m) => m.seq);
      expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
      // More than one try while the network was down: the backoff kept trying, not once and done.
      expect(seen.states.filter((s) => s === 'reconnecting').length).toBeGreaterThanOrEqual(2);
      reader.disconnect();
      expect(room.state).toBe('closed');
    } finally {
      await proxy.stop();
    }
  });

  it("a post whose answer was lost: its message in the timeline is the answer, and it is not posted again (whatever the server's duplicate window)", async () => {
    let posts = 0;
    let loseNextAnswer = true;
    const fetch: typeof globalThis.fetch = async (input, init) => {
      const posting = init?.method === 'POST' && String(input).endsWith('/rooms/sdk-lost-answer/messages');
      if (posting) posts++;
      const res = await globalThis.fetch(input, init);
      if (posting && loseNextAnswer) {
        // Stored, but the answer never comes back (a connection reset on the way).
        loseNextAnswer = false;
        throw new TypeError('fetch failed');
      }
      return res;
    };
    const sender = client(stack.url, { fetch });
    await sender.register('Lost answer');
    await sender.join('sdk-lost-answer');
    const room = sender.subscribe('sdk-lost-answer');
    const seen = record(room);
    await seen.until('live', () => room.state === 'live');

    const result = await room.send('only once', { clientMsgId: 'lost-answer-1' });
    if (isAccepted(result)) throw new Error('the message frame is the answer');
    expect(result).toMatchObject({ content: 'only once', client_msg_id: 'lost-answer-1' });
    expect(posts).toBe(1);
    expect(seen.texts()).toEqual(['only once']);
    sender.disconnect();
  });

  it('a gateway restart with a message in flight: it is sent once the gateway is back, same client_msg_id, stored and delivered once', async () => {
    // A gateway in a process of its own, stopped as a deployment stops it and started again on its port.
    let gateway = await spawnGateway(stack);
    const sender = client(gateway.url);
    await sender.register('Restarter');
    await sender.join('sdk-restart');
    const watcher = client();
    await watcher.register('Watcher');
    await watcher.join('sdk-restart');
    const theirs = watcher.subscribe('sdk-restart');
    const mine = sender.subscribe('sdk-restart');
    const [seenTheirs, seenMine] = [record(theirs), record(mine)];
    await seenMine.until('live', () => mine.state === 'live');
    await seenTheirs.until('live', () => theirs.state === 'live');

    // The gateway stops with the post on its way; more is typed while it is away.
    const inFlight = mine.send('in flight', { clientMsgId: 'restart-in-flight' });
    const stopping = gateway.kill('SIGTERM');
    await seenMine.until('noticed', () => sender.connection?.state === 'reconnecting');
    await stopping;
    const typed = mine.send('typed while away', { clientMsgId: 'restart-typed' });
    await watcher.post('sdk-restart', 'meanwhile');
    gateway = await spawnGateway(stack, {}, gateway);
    const back = Date.now();
    try {
      const [a, b] = await Promise.all([inFlight, typed]);
      expect([a, b].map((r) => (isAccepted(r) ? r.status : r.client_msg_id))).toEqual(['restart-in-flight', 'restart-typed']);
      await seenMine.until('caught up', () => seenMine.texts().includes('typed while away') && seenMine.texts().includes('meanwhile'));
      // Live again within the backoff's cap (5 s) and a little.
      expect(Date.now() - back).toBeLessThan(6000);
      await seenTheirs.until('the other side has both', () => seenTheirs.texts().includes('typed while away') && seenTheirs.texts().includes('in flight'));
      const history = (await watcher.history('sdk-restart')).filter((m) => m.type === 'text').map((m) => m.content);
      expect(history.filter((t) => t === 'in flight')).toHaveLength(1);
      expect(history.filter((t) => t === 'typed while away')).toHaveLength(1);
      for (const seen of [seenMine, seenTheirs]) {
        expect(seen.texts().filter((t) => t === 'in flight')).toHaveLength(1);
        expect(seen.texts().filter((t) => t === 'typed while away')).toHaveLength(1);
        const seqs = seen.messages.map((m) => m.seq);
        expect(seqs).toEqual([...new Set(seqs)].sort((x, y) => x - y));
      }
      expect(sender.connection?.state).toBe('connected');
    } finally {
      sender.disconnect();
      watcher.disconnect();
      await gateway.kill('SIGTERM');
    }
  }, 120_000);

  it('presence does not depend on an open room: a user with the connection open on another page is online, with name and avatar', async () => {
    const away = client();
    await away.register('Elsewhere');
    await away.join('sdk-presence');
    const looker = client();
    await looker.register('Looker');
    await looker.join('sdk-presence');
    const room = looker.subscribe('sdk-presence');
    const seen = record(room);
    await seen.until('live', () => room.state === 'live');
    expect(seen.presence.at(-1)?.map((p) => p.user_id) ?? []).not.toContain(away.userId);

    // The other user only has the connection open (their profile page, say): no room subscribed.
    const connection = away.connect();
    await eventually(() => (connection.state === 'connected' ? true : undefined), 'connected');
    // (Named once the room's member list has them: a first presence may name them by id only.)
    await seen.until('online without a room open', () => seen.presence.at(-1)?.some((p) => p.user_id === away.userId && p.username === 'Elsewhere') === true);
    const entry = seen.presence.at(-1)!.find((p) => p.user_id === away.userId)!;
    expect(entry).toEqual({ user_id: away.userId, username: 'Elsewhere', avatar: `/avatars/default/${away.userId}.svg` });

    away.disconnect();
    await seen.until('gone when the connection closes', () => seen.presence.at(-1)?.some((p) => p.user_id === away.userId) === false);
    looker.disconnect();
  });

  it('falls back to long-polling when WebSockets are blocked, and goes back to a WebSocket when they are not', async () => {
    const proxy = await NetworkProxy.start(stack.url);
    proxy.blockWebSockets = true;
    try {
      const other = client();
      await other.register('Other');
      await other.join('sdk-poll');
      const otherRoom = other.subscribe('sdk-poll');
      await eventually(() => (otherRoom.state === 'live' ? true : undefined), 'other live');

      const poller = client(proxy.url, {
        connection: { ...FAST, reconnect: { baseMs: 50, maxMs: 200 }, pollWaitSeconds: 5, pollPresenceMs: 300, wsProbeMs: 60_000 },
      });
      await poller.register('Poller');
      await poller.join('sdk-poll');
      const room = poller.subscribe('sdk-poll');
      const seen = record(room);
      await seen.until('polling', () => room.state === 'live' && poller.connection?.transportKind === 'poll');

      for (let i = 0; i < 3; i++) await other.post('sdk-poll', `o${i}`);
      await seen.until('3 messages by long-poll', () => seen.texts().length === 3);
      const mine = await room.send('from the poller');
      expect(isAccepted(mine)).toBe(false);
      await seen.until('own message', () => seen.texts().includes('from the poller'));
      // Presence comes by REST while polling, with names: the other user, on a WebSocket, is online.
      await seen.until('presence', () => seen.presence.some((p) => p.some((x) => x.user_id === other.userId && x.username === 'Other')));
      expect(seen.texts()).toEqual(['o0', 'o1', 'o2', 'from the poller']);
      poller.disconnect();

      // WebSockets get through again: a connection that probes soon switches back, nothing twice.
      const again = client(proxy.url, { session: poller.session, connection: { ...FAST, pollWaitSeconds: 5, wsProbeMs: 500 } });
      const second = again.subscribe('sdk-poll', { since: seen.messages.at(-1)!.seq });
      const seen2 = record(second);
      const states: string[] = [];
      again.connection!.on('state', ({ state, transport }) => states.push(`${state} over ${transport}`));
      await seen2.until('polling again', () => second.state === 'live' && again.connection?.transportKind === 'poll');
      proxy.blockWebSockets = false;
      await other.post('sdk-poll', 'while switching');
      await seen2.until('back on a WebSocket', () => second.state === 'live' && again.connection?.transportKind === 'websocket');
      await other.post('sdk-poll', 'over the socket');
      await seen2.until('both', () => seen2.texts().includes('over the socket'));
      expect(seen2.texts()).toEqual(['while switching', 'over the socket']);
      // The switch is told as a state change: lists kept from the server load again (the inbox starts now).
      expect(states.at(-1)).toBe('connected over websocket');
      expect(states).toContain('connected over poll');
      again.disconnect();
      other.disconnect();
    } finally {
      await proxy.stop();
    }
  });

  it('without any WebSocket (plain Node 20) it long-polls from the start', async () => {
    // The default long-poll (25 s): a message must end it at once, whenever it reaches the room.
    const u = new ChatClient({ baseUrl: stack.url, WebSocket: undefined, connection: FAST });
    (u as { WebSocket: unknown }).WebSocket = undefined;
    await u.register('NoSockets');
    await u.join('sdk-nows');
    const room = u.subscribe('sdk-nows');
    const seen = record(room);
    await seen.until('polling', () => room.state === 'live' && u.connection?.transportKind === 'poll');
    await room.send('hello');
    await seen.until('own message back', () => seen.texts().includes('hello'));
    u.disconnect();
  });

  it('leaving a room refuses that room only: no resubscribing, and the connection and other rooms go on', async () => {
    const u = client();
    await u.register('Leaver');
    await u.join('sdk-leave');
    await u.join('sdk-stay');
    const leaving = u.subscribe('sdk-leave');
    const staying = u.subscribe('sdk-stay');
    const [seenLeave, seenStay] = [record(leaving), record(staying)];
    await seenLeave.until('live', () => leaving.state === 'live' && staying.state === 'live');
    await u.leave('sdk-leave');
    await seenLeave.until('refused', () => leaving.state === 'refused');
    expect(seenLeave.errors.map((e) => e.code)).toContain('not_member');
    await u.post('sdk-stay', 'still here');
    await seenStay.until('the other room goes on', () => seenStay.texts().includes('still here'));
    expect(u.connection?.state).toBe('connected');
    // A room the user never joined is refused the same way.
    const stranger = u.subscribe('sdk-never-joined');
    const seenStranger = record(stranger);
    await seenStranger.until('refused', () => stranger.state === 'refused');
    expect(seenStranger.errors.map((e) => e.code)).toEqual(['not_member']);
    u.disconnect();
  });

  it('pages history back to the start', async () => {
    const u = client();
    await u.register('Pager');
    await u.join('sdk-pages');
    for (let i = 0; i < 12; i++) await u.post('sdk-pages', `h${i}`);
    const pager = u.historyPager('sdk-pages', 5);
    const pages: string[][] = [];
    while (!pager.done) pages.push((await pager.older()).filter((m) => m.type === 'text').map((m) => m.content));
    // 13 messages in all (the join's system line first).
    expect(pages.flat().sort()).toEqual(Array.from({ length: 12 }, (_, i) => `h${i}`).sort());
    expect(pages[0]).toEqual(['h7', 'h8', 'h9', 'h10', 'h11']);
    expect(pages.at(-1)).toEqual(['h0', 'h1']);
  });
});

describe('SDK: my rooms, read markers, reactions, private rooms (issue 11)', () => {
  it('myRooms pages by nextBefore; markRead clears the count; the connection hears roomActivity and readMarker', async () => {
    const [ann, bob] = [client(), client()];
    await ann.register('Ann Inbox');
    await bob.register('Bob Inbox');
    const rooms = ['sdk-inbox-a', 'sdk-inbox-b', 'sdk-inbox-c'];
    for (const id of rooms) {
      await ann.join(id);
      await bob.join(id);
    }
    const first = await ann.myRooms({ limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextBefore).toBeTypeOf('number');
    const second = await ann.myRooms({ limit: 2, before: first.nextBefore });
    expect(second.nextBefore).toBeUndefined();
    expect([...first.items, ...second.items].map((r) => r.id).sort()).toEqual(rooms);

    // Ann's connection follows none of these rooms: activity in them is inbox.
    const connection = ann.connect();
    const activity: string[] = [];
    const markers: [string, number][] = [];
    connection.on('roomActivity', ({ room_id, message }) => activity.push(`${room_id}:${message.content}`));
    connection.on('readMarker', ({ room_id, seq }) => markers.push([room_id, seq]));
    await connection.whenConnected();
    // The gateway loads Ann's rooms for her inbox when her socket opens: until then a post is not
    // hers to hear of. Posts in another room until one is heard, so the inbox is surely live.
    for (let i = 0; !activity.some((a) => a.startsWith('sdk-inbox-a:')); i++) {
      if (i === 20) throw new Error('the inbox never carried room_activity');
      await bob.post('sdk-inbox-a', `warm-up ${i}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const posted = await bob.post('sdk-inbox-b', 'knock knock');
    if (isAccepted(posted)) throw new Error('the read side should be there');
    await eventually(() => (activity.includes('sdk-inbox-b:knock knock') ? true : undefined), 'room_activity');
    expect((await ann.myRooms()).items[0]).toMatchObject({ id: 'sdk-inbox-b', unread: 1, last_message: { content: 'knock knock' } });

    expect(await ann.markRead('sdk-inbox-b', posted.seq)).toEqual({ room_id: 'sdk-inbox-b', seq: posted.seq });
    await eventually(() => (markers.some(([r, s]) => r === 'sdk-inbox-b' && s === posted.seq) ? true : undefined), 'read_marker');
    expect((await ann.myRooms()).items.find((r) => r.id === 'sdk-inbox-b')).toMatchObject({ unread: 0, read_seq: posted.seq });
    ann.disconnect();
  });

  it('react and unreact, emojis of several code points included; reacted() says whether I did', async () => {
    const [ann, bob] = [client(), client()];
    await ann.register('Ann React');
    await bob.register('Bob React');
    await ann.join('sdk-react');
    await bob.join('sdk-react');
    const posted = await ann.post('sdk-react', 'react to me');
    if (isAccepted(posted)) throw new Error('the read side should be there');
    for (const emoji of ['👍', '🇫🇷', '👨‍👩‍👧', '#️⃣']) await bob.react('sdk-react', posted.id, emoji);
    const both = await ann.react('sdk-react', posted.id, '👍');
    expect(both.reactions.map((r) => [r.emoji, r.count])).toEqual([
      ['👍', 2],
      ['🇫🇷', 1],
      ['👨‍👩‍👧', 1],
      ['#️⃣', 1],
    ]);
    expect(ann.reacted(both, '👍')).toBe(true);
    expect(ann.reacted(both, '🇫🇷')).toBe(false);
    for (const emoji of ['🇫🇷', '👨‍👩‍👧', '#️⃣']) await bob.unreact('sdk-react', posted.id, emoji);
    const left = await bob.unreact('sdk-react', posted.id, '👍');
    expect(left.reactions).toEqual([{ emoji: '👍', count: 1, user_ids: [ann.userId] }]);
    expect(bob.reacted(left, '👍')).toBe(false);
  });

  it('a private room: created private, refused to others until invited, then joined', async () => {
    const [ann, cid] = [client(), client()];
    await ann.register('Ann Private');
    await cid.register('Cid Private');
    const room = await ann.createRoom({ name: 'Secret', visibility: 'private' });
    expect(room.visibility).toBe('private');
    await ann.post(room.id, 'members only');
    await expect(cid.history(room.id)).rejects.toMatchObject({ status: 403, code: 'not_member' });
    await expect(cid.join(room.id)).rejects.toMatchObject({ status: 403 });
    expect(await ann.invite(room.id, cid.userId)).toMatchObject({ status: 'success', invitee: cid.userId, invited: true });
    expect((await cid.join(room.id)).joined).toBe(true);
    expect((await cid.history(room.id)).some((m) => m.content === 'members only')).toBe(true);
  });

  it('historyPage names the next cursors the API sends', async () => {
    const u = client();
    await u.register('Cursor');
    await u.join('sdk-cursors');
    for (let i = 0; i < 6; i++) await u.post('sdk-cursors', `c${i}`);
    const newest = await u.historyPage('sdk-cursors', { limit: 4 });
    expect(newest.nextBefore).toBe(newest.messages[0]!.seq);
    const older = await u.historyPage('sdk-cursors', { limit: 4, before: newest.nextBefore });
    expect(older.nextBefore).toBeUndefined();
    const after = await u.historyPage('sdk-cursors', { limit: 2, after: older.messages[0]!.seq });
    expect(after.nextAfter).toBe(after.messages.at(-1)!.seq);
  });
});
