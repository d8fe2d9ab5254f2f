import type { RoomView } from '@chat/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestUser } from './support/client.ts';
import { type Stack, startStack } from './support/stack.ts';

let stack: Stack;
let open: Stack;
beforeAll(async () => {
  [stack, open] = await Promise.all([startStack(), startStack({ mode: 'open' })]);
});
afterAll(async () => {
  await Promise.all([stack?.stop(), open?.stop()]);
});

const createPrivate = (u: TestUser, id: string) => u.request<RoomView>('POST', '/rooms', { id, name: `Room ${id}`, visibility: 'private' });

describe('private rooms: members only, joined by invitation', () => {
  it('the creator is its first member; outsiders get 403 on history, members, presence, the room, and its socket', async () => {
    const [ann, eve] = await TestUser.registerAll(stack, ['Ann', 'Eve'] as const);
    const created = await createPrivate(ann, 'secret1');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'secret1', visibility: 'private', member_count: 1 });
    expect((await ann.post('secret1', 'for members only')).status).toBe(201);
    expect((await ann.history('secret1')).body.map((m) => m.content)).toContain('for members only');

    for (const path of ['/rooms/secret1/messages', '/rooms/secret1/members', '/rooms/secret1/presence', '/rooms/secret1']) {
      const res = await eve.request('GET', path);
      expect(res.status, path).toBe(403);
      expect(res.body.error.code, path).toBe('not_member');
      expect(JSON.stringify(res.body), path).not.toContain('for members only');
    }
    await expect(eve.connect('secret1')).rejects.toMatchObject({ status: 403 });
    const mux = await eve.connectMux();
    mux.send({ type: 'subscribe', room_id: 'secret1' });
    await mux.until((f) => f.some((x) => x.type === 'error' && (x as { room_id?: string }).room_id === 'secret1'), 'a per-room error');
    expect(mux.closeCode).toBeUndefined();
    mux.close();
  });

  it('no join without an invitation; a member invites, the invitee joins once, and after leaving needs a new invitation', async () => {
    const [ann, bob, cid] = await TestUser.registerAll(stack, ['Ann', 'Bob', 'Cid'] as const);
    await createPrivate(ann, 'secret2');
    const refused = await bob.join('secret2');
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');

    // Only members invite; an invitee must exist.
    expect((await cid.request('POST', '/rooms/secret2/invite', { invitee: bob.id })).status).toBe(403);
    expect((await ann.request('POST', '/rooms/secret2/invite', { invitee: 'nobody_here' })).status).toBe(404);
    const invited = await ann.request('POST', '/rooms/secret2/invite', { invitee: bob.id });
    expect(invited.status).toBe(200);
    expect(invited.body).toMatchObject({ invited: true, invitee: bob.id });
    expect((await ann.request('POST', '/rooms/secret2/invite', { invitee: bob.id })).body.invited).toBe(false);

    expect((await bob.join('secret2')).status).toBe(200);
    expect((await bob.history('secret2')).status).toBe(200);
    const socket = await bob.connect('secret2');
    await socket.ready();
    await ann.post('secret2', 'welcome, Bob');
    await socket.until(() => socket.messages().some((m) => m.content === 'welcome, Bob'), 'the message, live');
    socket.close();

    expect((await bob.request('POST', '/rooms/secret2/leave', {})).status).toBe(200);
    expect((await bob.join('secret2')).status).toBe(403);
    expect((await bob.history('secret2')).status).toBe(403);
  });

  it('GET /rooms lists a private room to its members only; public rooms to everyone', async () => {
    const [ann, eve] = await TestUser.registerAll(stack, ['Ann', 'Eve'] as const);
    await createPrivate(ann, 'secret3');
    await ann.join('open3');
    const ids = async (u: TestUser) => (await u.request<RoomView[]>('GET', '/rooms?limit=500')).body.map((r) => r.id);
    expect(await ids(ann)).toEqual(expect.arrayContaining(['secret3', 'open3']));
    const seen = await ids(eve);
    expect(seen).toContain('open3');
    expect(seen).not.toContain('secret3');
  });

  it('public rooms: anyone signed in previews history without joining; old bodies (no visibility) make public rooms', async () => {
    const [ann, eve] = await TestUser.registerAll(stack, ['Ann', 'Eve'] as const);
    const made = await ann.request<RoomView>('POST', '/rooms', { id: 'public4', name: 'Public' });
    expect(made.body.visibility).toBe('public');
    await ann.join('public4');
    await ann.post('public4', 'hello world');
    const preview = await eve.history('public4');
    expect(preview.status).toBe(200);
    expect(preview.body.map((m) => m.content)).toContain('hello world');
    // Reading is not joining: Eve is no member, and may not post until she joins.
    expect((await eve.request<{ user_id: string }[]>('GET', '/rooms/public4/members')).body.map((m) => m.user_id)).not.toContain(eve.id);
    expect((await eve.post('public4', 'hi')).status).toBe(403);
  });

  it('bad input: unknown visibility, invitations to public rooms, to missing rooms, malformed invitees', async () => {
    const [ann, bob] = await TestUser.registerAll(stack, ['Ann', 'Bob'] as const);
    expect((await ann.request('POST', '/rooms', { id: 'weird', name: 'W', visibility: 'secret' })).status).toBe(400);
    await ann.join('public5');
    expect((await ann.request('POST', '/rooms/public5/invite', { invitee: bob.id })).status).toBe(400);
    expect((await ann.request('POST', '/rooms/missing5/invite', { invitee: bob.id })).status).toBe(404);
    for (const invitee of ['', 'a.b', '*', 'x'.repeat(65), 42, null]) {
      expect((await ann.request('POST', '/rooms/public5/invite', { invitee })).status, JSON.stringify(invitee)).toBe(400);
    }
  });
});

describe('open mode never joins anyone to a private room', () => {
  it('a post, a join and a socket naming an uninvited user are refused, and the room stays members-only', async () => {
    const ann = new TestUser(open, 'ann_open', undefined);
    const created = await ann.request('POST', '/rooms', { id: 'secret-open', name: 'S', user_id: 'ann_open', visibility: 'private' });
    expect(created.status).toBe(201);
    const mallory = new TestUser(open, 'mallory', undefined);
    expect((await mallory.join('secret-open')).status).toBe(403);
    expect((await mallory.post('secret-open', 'let me in')).status).toBe(403);
    await expect(mallory.connect('secret-open')).rejects.toMatchObject({ status: 403 });
    const members = await ann.request<{ user_id: string }[]>('GET', '/rooms/secret-open/members');
    // Anonymous reads (open mode names no reader on a GET) see nothing of a private room.
    expect(members.status).toBe(403);
  });
});
