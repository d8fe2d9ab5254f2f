import type { ServerFrame } from '@chat/contracts';
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

type Frame<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;
const of =
  <T extends ServerFrame['type']>(type: T, room?: string) =>
  (f: ServerFrame): f is Frame<T> =>
    f.type === type && (room === undefined || (f as { room_id?: string }).room_id === room);
const texts = (s: LiveSocket, room: string) => s.frames.filter(of('message', room)).map((f) => f.message.content);
const subscribed = (s: LiveSocket, room: string) => s.until((f) => f.some(of('subscribed', room)), `subscribed to ${room}`);

describe('the multiplexed socket (/ws)', () => {
  it('one socket follows several rooms; every frame names its room; unsubscribe stops a room', async () => {
    const [ann, bob] = await TestUser.registerAll(stack, ['Ann', 'Bob']);
    for (const room of ['mux-a', 'mux-b']) {
      await ann.join(room);
      await bob.join(room);
    }
    const s = await ann.connectMux();
    await s.until((f) => f.some(of('welcome')), 'welcome');
    s.send({ type: 'subscribe', room_id: 'mux-a' });
    s.send({ type: 'subscribe', room_id: 'mux-b' });
    await subscribed(s, 'mux-a');
    await subscribed(s, 'mux-b');
    await bob.post('mux-a', 'to a');
    await bob.post('mux-b', 'to b');
    await s.until(() => texts(s, 'mux-a').includes('to a') && texts(s, 'mux-b').includes('to b'), 'both rooms live');
    for (const f of s.frames) if (f.type !== 'welcome' && f.type !== 'pong') expect((f as { room_id?: string }).room_id).toMatch(/^mux-[ab]$/);

    s.send({ type: 'unsubscribe', room_id: 'mux-a' });
    await s.until((f) => f.some(of('unsubscribed', 'mux-a')), 'unsubscribed');
    await bob.post('mux-a', 'a after');
    await bob.post('mux-b', 'b after');
    await s.until(() => texts(s, 'mux-b').includes('b after'), 'b still live');
    expect(texts(s, 'mux-a')).not.toContain('a after');
    // An unsubscribe is answered whether the room was followed or not (the client's boundary
    // between an ended subscription's frames and a new one's).
    s.send({ type: 'unsubscribe', room_id: 'mux-never' });
    await s.until((f) => f.some(of('unsubscribed', 'mux-never')), 'an unfollowed room unsubscribed');
    // Posting over the socket names the room.
    s.send({ type: 'message', room_id: 'mux-b', content: 'from the socket', client_msg_id: 'mux-1' });
    await s.until(() => texts(s, 'mux-b').includes('from the socket'), 'own post back');
    s.close();
  });

  it('a room the user may not follow is an error for that room only; the socket and its other rooms go on', async () => {
    const [ann, bob] = await TestUser.registerAll(stack, ['Ann2', 'Bob2']);
    await ann.join('mine');
    await bob.join('theirs');
    const s = await ann.connectMux();
    s.send({ type: 'subscribe', room_id: 'mine' });
    s.send({ type: 'subscribe', room_id: 'theirs' });
    s.send({ type: 'subscribe', room_id: 'bad.id' });
    s.send({ type: 'shout' });
    s.send('not json');
    await subscribed(s, 'mine');
    await s.until((f) => f.some(of('error', 'theirs')), 'an error for the other room');
    expect(s.frames.find(of('error', 'theirs'))).toMatchObject({ code: 'not_member' });
    await s.until((f) => f.filter(of('error')).length >= 4, 'errors for the bad frames');
    await bob.post('theirs', 'secret');
    await ann.post('mine', 'still here');
    await s.until(() => texts(s, 'mine').includes('still here'), 'the good room goes on');
    expect(texts(s, 'theirs')).toEqual([]);
    expect(s.closeCode).toBeUndefined();
    s.close();
  });

  it('resume per room: a subscription with since gets every change after it, then live', async () => {
    const u = await TestUser.register(stack, 'Resumer');
    await u.join('mux-r1');
    await u.join('mux-r2');
    const first = await u.connectMux();
    first.send({ type: 'subscribe', room_id: 'mux-r1' });
    first.send({ type: 'subscribe', room_id: 'mux-r2' });
    await subscribed(first, 'mux-r1');
    await subscribed(first, 'mux-r2');
    const cursor1 = first.frames.find(of('subscribed', 'mux-r1'))!.cursor;
    const cursor2 = first.frames.find(of('subscribed', 'mux-r2'))!.cursor;
    first.close();
    for (let i = 0; i < 5; i++) await u.post('mux-r1', `one ${i}`);
    for (let i = 0; i < 3; i++) await u.post('mux-r2', `two ${i}`);
    const second = await u.connectMux();
    second.send({ type: 'subscribe', room_id: 'mux-r1', since: cursor1 });
    second.send({ type: 'subscribe', room_id: 'mux-r2', since: cursor2 });
    await subscribed(second, 'mux-r1');
    await subscribed(second, 'mux-r2');
    expect(texts(second, 'mux-r1')).toEqual([0, 1, 2, 3, 4].map((i) => `one ${i}`));
    expect(texts(second, 'mux-r2')).toEqual([0, 1, 2].map((i) => `two ${i}`));
    second.close();
  });

  it('presence follows the person: online in every room they are a member of while any connection is open, whatever it follows', async () => {
    const [watcher, roamer] = await TestUser.registerAll(stack, ['Watcher', 'Roamer']);
    for (const room of ['p-one', 'p-two']) {
      await watcher.join(room);
      await roamer.join(room);
    }
    const w = await watcher.connectMux();
    w.send({ type: 'subscribe', room_id: 'p-one' });
    w.send({ type: 'subscribe', room_id: 'p-two' });
    await subscribed(w, 'p-one');
    await subscribed(w, 'p-two');
    // The roamer's app is open on another page: connected, following no room.
    const r = await roamer.connectMux();
    await r.until((f) => f.some(of('welcome')), 'welcome');
    const onlineIn = (room: string) => {
      let online = new Set<string>();
      for (const f of w.frames.filter(of('presence', room))) {
        if (f.online) online = new Set(f.online);
        for (const j of f.joined ?? []) online.add(j);
        for (const l of f.left ?? []) online.delete(l);
      }
      return online;
    };
    await w.until(() => onlineIn('p-one').has(roamer.id) && onlineIn('p-two').has(roamer.id), 'the roamer online in both rooms');
    expect((await watcher.request('GET', '/rooms/p-two/presence')).body.online).toContain(roamer.id);
    r.close();
    await w.until(() => !onlineIn('p-one').has(roamer.id) && !onlineIn('p-two').has(roamer.id), 'offline once the connection closes');
    w.close();
  });

  it('leaving a room drops it from the user’s sockets with a reason, without closing them', async () => {
    const u = await TestUser.register(stack, 'Leaver');
    await u.join('mux-leave');
    await u.join('mux-stay');
    const s = await u.connectMux();
    s.send({ type: 'subscribe', room_id: 'mux-leave' });
    s.send({ type: 'subscribe', room_id: 'mux-stay' });
    await subscribed(s, 'mux-leave');
    await subscribed(s, 'mux-stay');
    await u.request('POST', '/rooms/mux-leave/leave', {});
    await s.until((f) => f.some(of('unsubscribed', 'mux-leave')), 'dropped');
    expect(s.frames.find(of('unsubscribed', 'mux-leave'))).toMatchObject({ reason: 'not_member' });
    await u.post('mux-stay', 'still');
    await s.until(() => texts(s, 'mux-stay').includes('still'), 'the other room goes on');
    expect(s.closeCode).toBeUndefined();
    s.close();
  });

  it('an unsubscribe that comes while the subscription is being admitted cancels it: the room is not followed', async () => {
    const [ann, bob] = await TestUser.registerAll(stack, ['Quick', 'Poster']);
    for (const room of ['mux-cancel', 'mux-after']) {
      await ann.join(room);
      await bob.join(room);
    }
    const s = await ann.connectMux();
    await s.until((f) => f.some(of('welcome')), 'welcome');
    s.send({ type: 'subscribe', room_id: 'mux-after' });
    await subscribed(s, 'mux-after');
    // Back to back: the unsubscribe is read while the room service is still asked about the subscribe.
    s.send({ type: 'subscribe', room_id: 'mux-cancel' });
    s.send({ type: 'unsubscribe', room_id: 'mux-cancel' });
    await s.until((f) => f.some(of('unsubscribed', 'mux-cancel')), 'the unsubscribe answered');
    await bob.post('mux-cancel', 'not for Quick');
    await bob.post('mux-after', 'for Quick');
    // Frames leave in log order: once the second post is here, the first would have been.
    await s.until(() => texts(s, 'mux-after').includes('for Quick'), 'the later post');
    expect(s.frames.filter(of('message', 'mux-cancel'))).toEqual([]);
    expect(s.frames.some(of('subscribed', 'mux-cancel'))).toBe(false);

    // The same for a room Quick is not a member of: the refusal of the cancelled admission does
    // not follow the answer (it would reach a new subscription to the room as its own).
    await bob.join('mux-theirs');
    s.send({ type: 'subscribe', room_id: 'mux-theirs' });
    s.send({ type: 'unsubscribe', room_id: 'mux-theirs' });
    await s.until((f) => f.some(of('unsubscribed', 'mux-theirs')), 'the unsubscribe answered');
    await bob.post('mux-after', 'later still');
    await s.until(() => texts(s, 'mux-after').includes('later still'), 'a later frame');
    const answeredAt = s.frames.findIndex(of('unsubscribed', 'mux-theirs'));
    expect(s.frames.slice(answeredAt).filter(of('error', 'mux-theirs'))).toEqual([]);
    s.close();
  });

  it('follows at most 500 rooms on one connection, also when more are asked for at once', async () => {
    const u = await TestUser.register(stack, 'Hoarder');
    const rooms = Array.from({ length: 510 }, (_, i) => `mux-cap-${i}`);
    for (let i = 0; i < rooms.length; i += 100) await Promise.all(rooms.slice(i, i + 100).map((r) => u.join(r)));
    const s = await u.connectMux();
    await s.until((f) => f.some(of('welcome')), 'welcome');
    for (const room_id of rooms) s.send({ type: 'subscribe', room_id });
    const answered = () => s.frames.filter((f) => f.type === 'subscribed' || f.type === 'error').length;
    await s.until(() => answered() === rooms.length, 'every subscribe answered', 30_000);
    // Before, every subscribe passed the cap as it arrived (none was followed yet): 510 followed.
    expect(s.frames.filter((f) => f.type === 'subscribed')).toHaveLength(500);
    const refused = s.frames.filter((f) => f.type === 'error');
    expect(refused).toHaveLength(10);
    for (const e of refused) expect(e).toMatchObject({ code: 'rate_limited', room_id: expect.stringMatching(/^mux-cap-/) });

    // One place free, and a refused room asked for twice at once: both take that one place.
    const followed = (s.frames.find((f) => f.type === 'subscribed') as { room_id: string }).room_id;
    const again = (refused[0] as { room_id: string }).room_id;
    s.send({ type: 'unsubscribe', room_id: followed });
    await s.until((f) => f.some((x) => x.type === 'unsubscribed' && x.room_id === followed), 'unsubscribed');
    const before = s.frames.length;
    s.send({ type: 'subscribe', room_id: again });
    s.send({ type: 'subscribe', room_id: again });
    await s.until((f) => f.slice(before).filter((x) => x.type === 'subscribed' || x.type === 'error').length === 2, 'both answered');
    // Before, the second was counted as a room of its own, past the cap, and refused.
    const answers = s.frames.slice(before).filter((x) => x.type === 'subscribed' || x.type === 'error');
    expect(answers.map((x) => `${x.type} ${'room_id' in x ? x.room_id : ''}`)).toEqual([`subscribed ${again}`, `subscribed ${again}`]);
    s.close();
  }, 60_000);

  it('refuses an upgrade without a session (401) and a token offered alone in the protocol (400)', async () => {
    const u = await TestUser.register(stack, 'NoSession');
    await expect(import('./support/client.ts').then(({ LiveSocket }) => LiveSocket.open(`${stack.wsUrl}/ws`))).rejects.toMatchObject({ status: 401 });
    await expect(import('./support/client.ts').then(({ LiveSocket }) => LiveSocket.open(`${stack.wsUrl}/ws`, [`token.${u.token}`]))).rejects.toMatchObject({
      status: 400,
    });
  });
});
