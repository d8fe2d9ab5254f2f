import { EventStore } from '@chat/bus';
import type { EventDraft } from '@chat/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestUser } from './support/client.ts';
import { type Stack, startStack } from './support/stack.ts';

// Two copies of the room service behind one queue group: each request goes to either.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ rooms: 2 });
});
afterAll(async () => {
  await stack?.stop();
});

describe('two room-service copies, membership kept in memory by each', () => {
  it('join, then at once post and connect: always admitted, whichever copy answers', async () => {
    const owner = await TestUser.register(stack, 'Owner');
    await owner.join('busy-door');
    // Both copies have seen the room (and what they know of its members) before anyone new joins.
    for (let i = 0; i < 10; i++) await owner.post('busy-door', `warm ${i}`);
    const users = await Promise.all(Array.from({ length: 30 }, (_, i) => TestUser.register(stack, `Guest ${i}`)));
    for (const u of users) {
      expect((await u.join('busy-door')).status).toBe(200);
      const posted = await u.post('busy-door', `hello from ${u.id}`);
      expect(posted.status).toBe(201);
      const socket = await u.connect('busy-door');
      await socket.ready();
      socket.close();
    }
  });

  it('a post after an acked leave is refused (within the one-second bound; at once in practice)', async () => {
    const users = await Promise.all(Array.from({ length: 10 }, (_, i) => TestUser.register(stack, `Leaver ${i}`)));
    for (const u of users) {
      await u.join('exit');
      expect((await u.post('exit', 'here')).status).toBe(201);
      expect((await u.request('POST', '/rooms/exit/leave', {})).status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 1100));
    for (const u of users) {
      const res = await u.post('exit', 'still here?');
      expect(res.status).toBe(403);
      expect((res.body as unknown as { error: { code: string } }).error.code).toBe('not_member');
    }
  });

  it('a socket opened just after a leave the gateway has seen is refused, though a room copy still says member', async () => {
    const [owner, leaver] = await TestUser.registerAll(stack, ['Keeper', 'Leaver']);
    expect((await owner.request('POST', '/rooms', { id: 'kept', name: 'kept', visibility: 'private' })).status).toBeLessThan(300);
    // The gateway holds the room: it knows its members and follows their changes.
    const watching = await owner.connect('kept');
    await watching.ready();
    expect((await owner.request('POST', '/rooms/kept/invite', { invitee: leaver.id })).status).toBeLessThan(300);
    expect((await leaver.join('kept')).status).toBe(200);
    // A copy appends the leave and stops before telling the others: their memory says member for up to 1 s.
    const store = await EventStore.open(stack.nc, stack.s.stream);
    const subject = stack.s.events.room('kept');
    await store.append(subject, { type: 'UserLeft', data: { room_id: 'kept', user_id: leaver.id } } as EventDraft, {
      expectedLastSeq: await store.lastSeq(subject),
      meta: { correlation_id: 'left-quietly', causation_id: null, actor: leaver.id },
      now: new Date(),
    });
    await watching.until(() => watching.messages().some((m) => m.type === 'system' && m.user_id === leaver.id && m.content.includes('left')), 'the leave seen');
    // Before, this socket was admitted and then followed the room for good: no later leave evicts it.
    await expect(leaver.connect('kept')).rejects.toMatchObject({ status: 403 });
  });
});
