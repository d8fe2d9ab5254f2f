import type { MessageView, ServerFrame } from '@chat/contracts';
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

const react = (u: TestUser, room: string, message: string, emoji: unknown) =>
  u.request<MessageView>('POST', `/rooms/${room}/messages/${message}/reactions`, { emoji });
const unreact = (u: TestUser, room: string, message: string, emoji: string) =>
  u.request<MessageView>('DELETE', `/rooms/${room}/messages/${message}/reactions/${encodeURIComponent(emoji)}`);
const updates = (s: LiveSocket) => s.frames.filter((f): f is Extract<ServerFrame, { type: 'message_updated' }> => f.type === 'message_updated');

describe('reactions', () => {
  it('members add and take back emojis: counts and who in the answer, in history, and live as message_updated with their own seq', async () => {
    const [ann, bob, cid] = await TestUser.registerAll(stack, ['Ann', 'Bob', 'Cid'] as const);
    for (const u of [ann, bob, cid]) await u.join('reacting');
    const socket = await ann.connect('reacting');
    await socket.ready();
    const message = (await ann.post('reacting', 'react to me')).body;

    const first = await react(bob, 'reacting', message.id, '👍');
    expect(first.status).toBe(200);
    expect(first.body.reactions).toEqual([{ emoji: '👍', count: 1, user_ids: [bob.id] }]);
    await react(cid, 'reacting', message.id, '👍');
    await react(cid, 'reacting', message.id, '🎉');
    // Twice is once.
    expect((await react(cid, 'reacting', message.id, '🎉')).body.reactions).toEqual([
      { emoji: '👍', count: 2, user_ids: [bob.id, cid.id] },
      { emoji: '🎉', count: 1, user_ids: [cid.id] },
    ]);
    const back = await unreact(bob, 'reacting', message.id, '👍');
    expect(back.body.reactions).toEqual([
      { emoji: '👍', count: 1, user_ids: [cid.id] },
      { emoji: '🎉', count: 1, user_ids: [cid.id] },
    ]);

    const inHistory = (await ann.history('reacting')).body.find((m) => m.id === message.id)!;
    expect(inHistory.reactions).toEqual(back.body.reactions);
    expect(inHistory.user_id).toBe(ann.id);

    await socket.until(() => updates(socket).length >= 4, 'four message_updated frames');
    const frames = updates(socket);
    expect(frames.map((f) => f.message.reactions.map((r) => `${r.emoji}${r.count}`).join())).toEqual(['👍1', '👍2', '👍2,🎉1', '👍1,🎉1']);
    // Each frame has its own seq, past the message's; the message keeps its author.
    expect(new Set(frames.map((f) => f.seq)).size).toBe(4);
    for (const f of frames) {
      expect(f.seq).toBeGreaterThan(message.seq);
      expect(f.message).toMatchObject({ seq: message.seq, user_id: ann.id, username: 'Ann', content: 'react to me' });
    }
    socket.close();
  });

  it('a resume delivers reactions made while away, once, at their last change', async () => {
    const [ann, bob] = await TestUser.registerAll(stack, ['Ann', 'Bob'] as const);
    for (const u of [ann, bob]) await u.join('away');
    const message = (await ann.post('away', 'while you were out')).body;
    const first = await ann.connect('away');
    await first.ready();
    const cursor = first.cursor();
    first.close();
    await react(bob, 'away', message.id, '🔥');
    await react(bob, 'away', message.id, '🚀');
    const back = await ann.connect('away', { since: String(cursor) });
    await back.ready();
    const replayed = updates(back).filter((f) => f.message.id === message.id);
    expect(replayed).toHaveLength(1);
    expect(replayed[0]!.message.reactions.map((r) => r.emoji)).toEqual(['🔥', '🚀']);
    back.close();
  });

  it('an edit keeps the reactions; a deleted message takes none', async () => {
    const [ann, bob] = await TestUser.registerAll(stack, ['Ann', 'Bob'] as const);
    for (const u of [ann, bob]) await u.join('kept');
    const message = (await ann.post('kept', 'typo')).body;
    await react(bob, 'kept', message.id, '👀');
    const edited = await ann.request<MessageView>('PATCH', `/rooms/kept/messages/${message.id}`, { content: 'fixed' });
    expect(edited.body).toMatchObject({ content: 'fixed', reactions: [{ emoji: '👀', count: 1 }] });
    await ann.request('DELETE', `/rooms/kept/messages/${message.id}`);
    const refused = await react(bob, 'kept', message.id, '👍');
    expect(refused.status).toBe(409);
  });

  it('bad input: not a member, a private room, no such message, not an emoji, too long, a 21st emoji', async () => {
    const [ann, bob, eve] = await TestUser.registerAll(stack, ['Ann', 'Bob', 'Eve'] as const);
    for (const u of [ann, bob]) await u.join('strict');
    const message = (await ann.post('strict', 'be nice')).body;
    const notMember = await react(eve, 'strict', message.id, '👍');
    expect(notMember.status).toBe(403);
    expect((notMember.body as unknown as { error: { code: string } }).error.code).toBe('not_member');
    expect((await react(ann, 'strict', 'm_missing', '👍')).status).toBe(404);
    for (const emoji of ['', 'x', '👍👍', '😀'.repeat(50), 42, null, '👍\u0000', `👍${'\u{e0041}'.repeat(10)}`]) {
      expect((await react(ann, 'strict', message.id, emoji)).status, JSON.stringify(emoji)).toBe(400);
    }
    expect((await unreact(ann, 'strict', message.id, 'x')).status).toBe(400);
    const twenty = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂🤗'];
    for (const e of twenty) expect((await react(bob, 'strict', message.id, e)).status).toBe(200);
    const tooMany = await react(ann, 'strict', message.id, '🤔');
    expect(tooMany.status).toBe(409);
    expect((await react(ann, 'strict', message.id, '😀')).body.reactions[0]).toMatchObject({ emoji: '😀', count: 2 });

    await ann.request('POST', '/rooms', { id: 'strict-private', name: 'P', visibility: 'private' });
    const hidden = (await ann.post('strict-private', 'members only')).body;
    expect((await react(eve, 'strict-private', hidden.id, '👍')).status).toBe(403);
  });
});
