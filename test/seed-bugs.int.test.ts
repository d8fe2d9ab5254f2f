import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/stack.ts';
import { LiveSocket, TestUser, http } from './support/client.ts';

// The three bugs of the original report, as regression tests against the running system.
const CUSTOM = 'https://cdn.example.com/avatars/ann-custom.png';
const PLACEHOLDER = (id: string) => `https://i.pravatar.cc/150?u=${id}`;

describe.each(['token', 'open'] as const)('seed bugs (AUTH_MODE=%s)', (mode) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('bug 1: a join followed at once by a connect is admitted (no 403)', async () => {
    for (let i = 0; i < 5; i++) {
      const user = await TestUser.register(stack, `racer${i}`);
      const room = `race-${i}`;
      expect((await user.join(room)).status).toBe(200);
      const socket = await user.connect(room);
      const [ready] = await socket.until((f) => f.some((x) => x.type === 'ready'), 'ready');
      expect(ready).toMatchObject({ type: 'ready', room_id: room, user_id: user.id });
      socket.close();
    }
  });

  it('bug 1, continued: members connecting one after another all stay connected', async () => {
    const users = await Promise.all(['S1', 'S2', 'S3', 'S4', 'S5'].map((n) => TestUser.register(stack, n)));
    for (const u of users) await u.join('staying');
    const sockets = [];
    for (const u of users) {
      const socket = await u.connect('staying');
      await socket.ready();
      sockets.push(socket);
      await new Promise((r) => setTimeout(r, 150));
    }
    await users[0]!.post('staying', 'all here?');
    for (const socket of sockets) {
      await socket.until(() => socket.messages().some((m) => m.content === 'all here?'), 'the message on every socket');
      expect(socket.closeCode).toBeUndefined();
    }
    for (const socket of sockets) socket.close();
  });

  it('bug 2: the user’s own avatar, not a placeholder, is on live and fetched messages', async () => {
    const ann = await TestUser.register(stack, 'Ann', { avatar_url: CUSTOM });
    expect((await ann.join('avatars', { username: 'Ann', avatar_url: PLACEHOLDER(ann.id) })).status).toBe(200);
    // The frontend's generic fallback arrives again on connect: it must not replace the custom one.
    const socket = await ann.connect('avatars', { username: 'Ann', avatar_url: PLACEHOLDER(ann.id) });
    socket.send({ type: 'message', content: 'look at my avatar', client_msg_id: 'a1' });
    const frames = await socket.until(() => socket.messages().some((m) => m.content === 'look at my avatar'), 'live message');
    const live = socket.messages().find((m) => m.content === 'look at my avatar');
    expect(live?.avatar).toBe(CUSTOM);
    expect(frames.length).toBeGreaterThan(0);
    const fetched = (await ann.history('avatars')).body.find((m) => m.content === 'look at my avatar');
    expect(fetched?.avatar).toBe(CUSTOM);
    expect((await ann.request('GET', `/users/${ann.id}`)).body).toMatchObject({ avatar: CUSTOM, avatar_kind: 'external' });
    socket.close();
  });

  it('bug 3: refetching history keeps every avatar, also after reconnecting with a placeholder', async () => {
    const bob = await TestUser.register(stack, 'Bob', { avatar_url: 'https://cdn.example.com/bob.png' });
    await bob.join('refetch');
    for (let i = 0; i < 3; i++) expect((await bob.post('refetch', `m${i}`)).status).toBe(201);
    for (let round = 0; round < 3; round++) {
      const socket = await bob.connect('refetch', { avatar_url: PLACEHOLDER(bob.id) });
      socket.close();
      const page = (await bob.history('refetch')).body;
      const texts = page.filter((m) => m.type === 'text');
      expect(texts).toHaveLength(3);
      for (const m of page) {
        expect(m.avatar).toBe('https://cdn.example.com/bob.png');
        expect(m.avatar).not.toContain('pravatar');
      }
    }
  });

  it('a user without an avatar gets a generated default, served by the gateway', async () => {
    const cat = await TestUser.register(stack, 'Cat Stevens');
    await cat.join('defaults');
    const posted = await cat.post('defaults', 'hi');
    expect(posted.body.avatar).toBe(`/avatars/default/${cat.id}.svg`);
    const res = await fetch(`${stack.url}${posted.body.avatar}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(await res.text()).toContain('>CS<');
  });
});

describe('open mode keeps the seed contract', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode: 'open' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('registers an unknown user on connect and answers the seed’s join body', async () => {
    const socket = await LiveSocket.open(`${stack.wsUrl}/ws/seed-room/frontend-user-1?username=Dana&avatar_url=${encodeURIComponent(CUSTOM)}`);
    await socket.until((f) => f.some((x) => x.type === 'ready'), 'ready');
    socket.close();
    const user = await http(stack, 'GET', '/users/frontend-user-1');
    expect(user.body).toMatchObject({ id: 'frontend-user-1', username: 'Dana', avatar: CUSTOM });
    const join = await http(stack, 'POST', '/rooms/seed-room/join', { user_id: 'frontend-user-2', username: 'Eve', avatar_url: null });
    expect(join).toMatchObject({ status: 200, body: { status: 'success', room_id: 'seed-room', user_id: 'frontend-user-2' } });
    const post = await http(stack, 'POST', '/rooms/seed-room/messages', { user_id: 'frontend-user-2', username: 'Eve', content: 'hey', type: 'text' });
    expect(post.status).toBe(201);
    expect(Object.keys(post.body).sort()).toEqual(
      [
        'id',
        'room_id',
        'user_id',
        'username',
        'content',
        'avatar',
        'timestamp',
        'type',
        'seq',
        'client_msg_id',
        'edited_at',
        'deleted',
        'reactions',
        'changed_seq',
      ].sort(),
    );
    expect(post.body).toMatchObject({ username: 'Eve', content: 'hey', type: 'text', avatar: '/avatars/default/frontend-user-2.svg' });
  });
});
