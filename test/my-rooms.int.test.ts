import type { MessageView, MyRoomView, ServerFrame } from '@chat/contracts';
import { eventually } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveSocket, TestUser } from './support/client.ts';
import { type Stack, startStack } from './support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const myRooms = async (u: TestUser, query = '') => {
  const res = await u.request<MyRoomView[]>('GET', `/me/rooms${query}`);
  expect(res.status).toBe(200);
  return res.body;
};
const byId = (rooms: MyRoomView[]) => Object.fromEntries(rooms.map((r) => [r.id, r]));
const markRead = (u: TestUser, roomId: string, seq: unknown) => u.request('POST', `/rooms/${roomId}/read`, { seq });
type Activity = Extract<ServerFrame, { type: 'room_activity' }>;
type Marker = Extract<ServerFrame, { type: 'read_marker' }>;
const activity = (s: LiveSocket, roomId: string) => s.frames.filter((f): f is Activity => f.type === 'room_activity' && f.room_id === roomId);
const markers = (s: LiveSocket, roomId: string) => s.frames.filter((f): f is Marker => f.type === 'read_marker' && f.room_id === roomId);

describe('me and my rooms', () => {
  it('GET /me is the signed-in user; without a session it is 401', async () => {
    const ann = await TestUser.register(stack, 'Ann');
    const me = await ann.request('GET', '/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: ann.id, username: 'Ann' });
    expect((await fetch(`${stack.url}/me`)).status).toBe(401);
  });

  it('my rooms: only mine, newest activity first, unread = posts of others after my marker (or my join), with the last message', async () => {
    const [ann, bob, cid] = await TestUser.registerAll(stack, ['Ann', 'Bob', 'Cid'] as const);
    for (const u of [ann, bob]) {
      await u.join('mine-a');
      await u.join('mine-b');
    }
    await bob.join('not-anns');
    for (let i = 0; i < 3; i++) await bob.post('mine-a', `a${i}`);
    await ann.post('mine-a', 'mine, not unread');
    const gone = await bob.post('mine-a', 'deleted, not unread');
    await bob.request('DELETE', `/rooms/mine-a/messages/${gone.body.id}`);
    await bob.post('mine-b', 'b0');
    // Cid joins after all that: nothing before the join is unread for him.
    await cid.join('mine-a');

    const rooms = await myRooms(ann);
    expect(rooms.map((r) => r.id)).toEqual(['mine-a', 'mine-b']);
    const mine = byId(rooms);
    expect(mine['mine-a']).toMatchObject({ unread: 3, read_seq: expect.any(Number) });
    expect(mine['mine-a']!.last_message).toMatchObject({ deleted: true, user_id: bob.id });
    expect(mine['mine-b']).toMatchObject({ unread: 1, last_message: { content: 'b0', username: 'Bob' } });
    expect(byId(await myRooms(cid))['mine-a']).toMatchObject({ unread: 0 });
    expect(byId(await myRooms(bob))['not-anns']).toMatchObject({ unread: 0, last_message: null });

    const two = await ann.request<MyRoomView[]>('GET', '/me/rooms?limit=1');
    expect(two.body).toHaveLength(1);
    expect(two.headers.get('x-next-before')).toBe(String(two.body[0]!.last_seq));
  });

  it('read markers: unread drops to what is after the marker; a marker never moves back, nor past its own event', async () => {
    const [ann, bob] = await TestUser.registerAll(stack, ['Ann', 'Bob'] as const);
    await ann.join('marked');
    await bob.join('marked');
    const posts: MessageView[] = [];
    for (let i = 0; i < 4; i++) posts.push((await bob.post('marked', `m${i}`)).body);
    const read = await markRead(ann, 'marked', posts[1]!.seq);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ room_id: 'marked', seq: posts[1]!.seq });
    expect(byId(await myRooms(ann)).marked).toMatchObject({ unread: 2, read_seq: posts[1]!.seq });

    await markRead(ann, 'marked', posts[0]!.seq);
    expect(byId(await myRooms(ann)).marked).toMatchObject({ unread: 2, read_seq: posts[1]!.seq });

    const far = await markRead(ann, 'marked', 9_000_000_000);
    expect(far.status).toBe(200);
    expect(far.body.seq).toBeLessThan(9_000_000_000);
    expect(byId(await myRooms(ann)).marked).toMatchObject({ unread: 0 });
    await bob.post('marked', 'after the far marker');
    expect(byId(await myRooms(ann)).marked).toMatchObject({ unread: 1 });
  });

  it('bad input: a room I am not in, a missing room, and bad seqs and limits', async () => {
    const [ann, bob] = await TestUser.registerAll(stack, ['Ann', 'Bob'] as const);
    await bob.join('bobs-only');
    await ann.join('anns');
    expect((await markRead(ann, 'bobs-only', 1)).status).toBe(403);
    expect((await markRead(ann, 'no-such-room', 1)).status).toBe(404);
    for (const seq of [-1, 1.5, '12', null, 'x', Number.MAX_VALUE]) {
      expect((await markRead(ann, 'anns', seq)).status, JSON.stringify(seq)).toBe(400);
    }
    for (const q of ['?limit=0', '?limit=501', '?before=-1', '?before=x']) {
      expect((await ann.request('GET', `/me/rooms${q}`)).status, q).toBe(400);
    }
  });

  it('live on every device: room_activity for rooms not subscribed, read_marker from any device, and joins followed', async () => {
    const [ann, bob] = await TestUser.registerAll(stack, ['Ann', 'Bob'] as const);
    for (const u of [ann, bob]) {
      await u.join('live-a');
      await u.join('live-b');
    }
    const phone = await ann.connectMux();
    const laptop = await ann.connectMux();
    for (const s of [phone, laptop]) await s.until((f) => f.some((x) => x.type === 'welcome'), 'welcome');
    laptop.send({ type: 'subscribe', room_id: 'live-a' });
    await laptop.until((f) => f.some((x) => x.type === 'subscribed'), 'subscribed');
    // The inbox loads Ann's rooms when her first socket opens: wait until it follows them.
    await eventually(async () => {
      await bob.post('live-b', 'ping');
      await phone.until((f) => f.some((x) => x.type === 'room_activity' && x.room_id === 'live-b'), 'room_activity', 500);
      return true;
    }, 'the inbox follows Ann’s rooms');

    const posted = (await bob.post('live-a', 'news in a')).body;
    await phone.until(() => activity(phone, 'live-a').some((f) => f.message.content === 'news in a'), 'activity on the phone');
    // The laptop follows live-a itself: the message, not room_activity.
    await laptop.until(() => laptop.messages().some((m) => m.content === 'news in a'), 'message on the laptop');
    expect(activity(laptop, 'live-a')).toHaveLength(0);

    await markRead(ann, 'live-a', posted.seq);
    for (const s of [phone, laptop]) {
      await s.until(() => markers(s, 'live-a').some((f) => f.seq === posted.seq), 'read_marker on every device');
    }
    expect(bob.id).not.toBe(ann.id);

    // A room joined now is followed from now on (its join line first, then its messages).
    await bob.join('live-c');
    await ann.join('live-c');
    await phone.until(() => activity(phone, 'live-c').length > 0, 'the join line');
    await bob.post('live-c', 'welcome to c');
    await phone.until(() => activity(phone, 'live-c').some((f) => f.message.content === 'welcome to c'), 'activity in the new room');
    // And one left is not: her leave line comes, then nothing more.
    await ann.request('POST', '/rooms/live-c/leave', {});
    await phone.until(
      () => activity(phone, 'live-c').some((f) => f.message.type === 'system' && f.message.user_id === ann.id && f.message.content.includes('left')),
      'the leave line',
    );
    const before = activity(phone, 'live-c').length;
    await bob.post('live-c', 'after Ann left');
    await bob.post('live-b', 'a later message elsewhere');
    await phone.until(() => activity(phone, 'live-b').some((f) => f.message.content === 'a later message elsewhere'), 'a later message');
    expect(activity(phone, 'live-c')).toHaveLength(before);
    phone.close();
    laptop.close();
  });

  it('a rebuilt projection gives the same unread counts, markers and reactions as the live one', async () => {
    const [ann, bob] = await TestUser.registerAll(stack, ['Ann', 'Bob'] as const);
    await ann.join('rebuilt');
    await bob.join('rebuilt');
    const posts: MessageView[] = [];
    for (let i = 0; i < 5; i++) posts.push((await bob.post('rebuilt', `r${i}`)).body);
    await markRead(ann, 'rebuilt', posts[2]!.seq);
    await ann.request('POST', `/rooms/rebuilt/messages/${posts[0]!.id}/reactions`, { emoji: '👍' });
    await bob.request('POST', `/rooms/rebuilt/messages/${posts[0]!.id}/reactions`, { emoji: '🎉' });
    await bob.request('DELETE', `/rooms/rebuilt/messages/${posts[0]!.id}/reactions/${encodeURIComponent('🎉')}`);
    const history = (await ann.history('rebuilt')).body;
    expect(history.find((m) => m.id === posts[0]!.id)!.reactions).toEqual([{ emoji: '👍', count: 1, user_ids: [ann.id] }]);
    const live = byId(await myRooms(ann)).rebuilt;
    expect(live).toMatchObject({ unread: 2, read_seq: posts[2]!.seq });
    // Lose the read models, then rebuild them from the log alone.
    await stack.rebuildFromLog(
      ['read_markers', 'members', 'rooms', 'messages'],
      async () => {
        expect(byId(await myRooms(ann)).rebuilt).toEqual(live);
        expect((await ann.history('rebuilt')).body).toEqual(history);
      },
      'the rebuilt read models',
    );
  });
});
