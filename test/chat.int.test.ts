import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageView } from '@chat/contracts';
import { startStack, type Stack } from './support/stack.ts';
import { TestUser } from './support/client.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('live chat', () => {
  it('A posts over the socket: A and B get the same enriched message once; C in another room gets nothing', async () => {
    const [a, b, c] = await Promise.all([
      TestUser.register(stack, 'Alice', { avatar_url: 'https://cdn.example.com/alice.png' }),
      TestUser.register(stack, 'Bob'),
      TestUser.register(stack, 'Carol'),
    ]);
    await a.join('kitchen');
    await b.join('kitchen');
    await c.join('garden');
    const [sa, sb, sc] = await Promise.all([a.connect('kitchen'), b.connect('kitchen'), c.connect('garden')]);
    for (const s of [sa, sb, sc]) await s.until((f) => f.some((x) => x.type === 'ready'), 'ready');

    sa.send({ type: 'message', content: 'soup is ready', client_msg_id: 'soup-1' });
    const isSoup = (m: MessageView) => m.content === 'soup is ready';
    await sa.until(() => sa.messages().some(isSoup), 'A receives');
    await sb.until(() => sb.messages().some(isSoup), 'B receives');
    // A marker after the message: once C sees its own room's marker, anything for C would have arrived.
    await c.post('garden', 'marker');
    await sc.until(() => sc.messages().some((m) => m.content === 'marker'), 'C marker');
    await b.post('kitchen', 'after');
    await sa.until(() => sa.messages().some((m) => m.content === 'after'), 'A after');
    await sb.until(() => sb.messages().some((m) => m.content === 'after'), 'B after');

    const atA = sa.messages().filter(isSoup);
    const atB = sb.messages().filter(isSoup);
    expect(atA).toHaveLength(1);
    expect(atB).toHaveLength(1);
    expect(atA[0]).toEqual(atB[0]);
    expect(atA[0]).toMatchObject({ username: 'Alice', avatar: 'https://cdn.example.com/alice.png', room_id: 'kitchen', user_id: a.id, type: 'text' });
    expect(sc.messages().filter(isSoup)).toHaveLength(0);
    expect(sc.messages().every((m) => m.room_id === 'garden')).toBe(true);
    for (const s of [sa, sb, sc]) s.close();
  });

  it('the same client_msg_id posted twice gives one message (REST and socket)', async () => {
    const u = await TestUser.register(stack, 'Retry');
    await u.join('dedupe');
    const first = await u.post('dedupe', 'once', { client_msg_id: 'same-1' });
    const second = await u.post('dedupe', 'once', { client_msg_id: 'same-1' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);

    const socket = await u.connect('dedupe');
    await socket.until((f) => f.some((x) => x.type === 'ready'), 'ready');
    socket.send({ type: 'message', content: 'twice', client_msg_id: 'same-2' });
    socket.send({ type: 'message', content: 'twice', client_msg_id: 'same-2' });
    await u.post('dedupe', 'marker');
    await socket.until(() => socket.messages().some((m) => m.content === 'marker'), 'marker');
    expect(socket.messages().filter((m) => m.content === 'twice')).toHaveLength(1);
    const history = (await u.history('dedupe')).body.filter((m) => m.type === 'text');
    expect(history.map((m) => m.content)).toEqual(['once', 'twice', 'marker']);
    socket.close();
  });

  it('a profile change reaches sockets as a frame, and history shows the new name and avatar', async () => {
    const u = await TestUser.register(stack, 'Before', { avatar_url: 'https://cdn.example.com/old.png' });
    const watcher = await TestUser.register(stack, 'Watcher');
    await u.join('profiles');
    await watcher.join('profiles');
    await u.post('profiles', 'old message');
    const socket = await watcher.connect('profiles');
    await socket.until((f) => f.some((x) => x.type === 'ready'), 'ready');

    const patched = await u.request('PATCH', `/users/${u.id}`, { username: 'After', avatar_url: 'https://cdn.example.com/new.png' });
    expect(patched).toMatchObject({ status: 200, body: { username: 'After', avatar: 'https://cdn.example.com/new.png' } });
    const frames = await socket.until((f) => f.some((x) => x.type === 'profile_updated'), 'profile_updated');
    expect(frames.find((x) => x.type === 'profile_updated')).toMatchObject({
      user: { id: u.id, username: 'After', avatar: 'https://cdn.example.com/new.png' },
    });
    const old = (await u.history('profiles')).body.find((m) => m.content === 'old message');
    expect(old).toMatchObject({ username: 'After', avatar: 'https://cdn.example.com/new.png' });
    socket.close();
  });

  it('history pages by seq: newest first page, then before / after cursors, limit at most 100', async () => {
    const u = await TestUser.register(stack, 'Pager');
    await u.join('pages');
    for (let i = 0; i < 12; i++) await u.post('pages', `p${i}`);
    const all = (await u.history('pages', '?limit=100')).body.filter((m) => m.type === 'text').map((m) => m.content);
    expect(all).toEqual(Array.from({ length: 12 }, (_, i) => `p${i}`));
    const newest = (await u.history('pages', '?limit=5')).body;
    expect(newest.map((m) => m.content)).toEqual(['p7', 'p8', 'p9', 'p10', 'p11']);
    const older = (await u.history('pages', `?limit=5&before=${newest[0]!.seq}`)).body;
    expect(older.map((m) => m.content)).toEqual(['p2', 'p3', 'p4', 'p5', 'p6']);
    const after = (await u.history('pages', `?limit=3&after=${older[0]!.seq}`)).body;
    expect(after.map((m) => m.content)).toEqual(['p3', 'p4', 'p5']);
    expect((await u.history('pages', '?limit=101')).status).toBe(400);
  });

  it('leaving ends membership: posting is then refused', async () => {
    const u = await TestUser.register(stack, 'Leaver');
    await u.join('exit');
    expect((await u.request('POST', '/rooms/exit/leave', {})).body).toMatchObject({ left: true });
    const refused = await u.post('exit', 'still here?');
    expect(refused.status).toBe(403);
    expect((refused.body as unknown as { error: { code: string } }).error.code).toBe('not_member');
    const members = await u.request('GET', '/rooms/exit/members');
    expect(members.body.map((m: { user_id: string }) => m.user_id)).not.toContain(u.id);
  });

  it('the author edits and deletes a message: sockets get message_updated, history shows it, others cannot', async () => {
    const [author, reader] = await TestUser.registerAll(stack, ['Author', 'Reader']);
    await author.join('edits');
    await reader.join('edits');
    const posted = await author.post('edits', 'helo wrld');
    const socket = await reader.connect('edits');
    await socket.ready();

    const edited = await author.request('PATCH', `/rooms/edits/messages/${posted.body.id}`, { content: 'hello world' });
    expect(edited).toMatchObject({ status: 200, body: { id: posted.body.id, seq: posted.body.seq, content: 'hello world', deleted: false } });
    expect(edited.body.edited_at).not.toBeNull();
    const updates = () => socket.frames.filter((f) => f.type === 'message_updated') as { message: { content: string; deleted: boolean } }[];
    await socket.until(() => updates().length === 1, 'message_updated after the edit');
    expect(updates()[0]!.message.content).toBe('hello world');

    expect((await reader.request('PATCH', `/rooms/edits/messages/${posted.body.id}`, { content: 'not mine' })).status).toBe(403);
    expect((await reader.request('DELETE', `/rooms/edits/messages/${posted.body.id}`)).status).toBe(403);
    expect((await author.request('PATCH', '/rooms/edits/messages/m_nothing', { content: 'x' })).status).toBe(404);
    expect((await author.request('PATCH', `/rooms/edits/messages/${posted.body.id}`, { content: '  ' })).status).toBe(400);

    const removed = await author.request('DELETE', `/rooms/edits/messages/${posted.body.id}`);
    expect(removed).toMatchObject({ status: 200, body: { deleted: true, content: '' } });
    await socket.until(() => updates().length === 2, 'message_updated after the delete');
    expect(updates()[1]!.message.deleted).toBe(true);
    expect((await author.request('PATCH', `/rooms/edits/messages/${posted.body.id}`, { content: 'back' })).status).toBe(409);
    const history = (await reader.history('edits')).body.find((m) => m.id === posted.body.id);
    expect(history).toMatchObject({ deleted: true, content: '' });
    socket.close();
  });
});
