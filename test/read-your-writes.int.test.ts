import { EventStore } from '@chat/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, TestUser } from './support/client.ts';
import { spawnGateway, type ServiceProcess } from './support/process.ts';
import { type Stack, startStack } from './support/stack.ts';

// The projection writes in groups of up to 5 s here, so that a read it answers at once from
// what it has committed would miss a post just made.
let stack: Stack;
let other: ServiceProcess;
beforeAll(async () => {
  stack = await startStack({ projectionEnv: { PROJECTION_LINGER_MS: '5000' } });
  other = await spawnGateway(stack);
});
afterAll(async () => {
  await other?.kill('SIGTERM');
  await stack?.stop();
});

describe('read your writes across gateways', () => {
  it('a post acknowledged through one gateway is in history read at once through another whose feed is far behind', async () => {
    const u = await TestUser.register(stack, 'Crosser');
    await u.join('cross');
    const { written, page } = await readThroughLaggingGateway(u, 'cross', () => u.post('cross', 'hello'));
    expect(written.status).toBe(201);
    // Before, the other gateway asked for what its own feed had read.
    expect(page.map((m) => m.id)).toContain(written.body.id);
  });

  it('an edit acknowledged through one gateway shows in history read at once through another whose feed is far behind', async () => {
    const u = await TestUser.register(stack, 'Editor');
    await u.join('cross-edit');
    const posted = await u.post('cross-edit', 'draft');
    expect(posted.status).toBe(201);
    const edit = () => http(stack, 'PATCH', `/rooms/cross-edit/messages/${posted.body.id}`, { content: 'final' }, { authorization: `Bearer ${u.token}` });
    const { written, page } = await readThroughLaggingGateway(u, 'cross-edit', edit);
    expect(written.status).toBe(200);
    // Before, the other gateway waited for the room's last post, not for its messages' last change.
    expect(page.find((m) => m.id === posted.body.id)?.content).toBe('final');
  });
});

/**
 * Writes through the first gateway while the other is stopped with thousands of events of another
 * room ahead of the write in its feed, then reads the room's history through the other: its feed
 * reads the log a pull at a time, and the read is answered long before the feed reaches the write.
 */
async function readThroughLaggingGateway<T>(
  u: TestUser,
  roomId: string,
  write: () => Promise<T>,
): Promise<{ written: T; page: { id: string; content: string }[] }> {
  other.child.kill('SIGSTOP');
  try {
    await flood(u.id, `${roomId}-flood`, 10_000);
    const written = await write();
    const read = http({ ...stack, url: other.url } as Stack, 'GET', `/rooms/${roomId}/messages?limit=5`, undefined, { authorization: `Bearer ${u.token}` });
    await new Promise((r) => setTimeout(r, 50));
    other.child.kill('SIGCONT');
    const page = await read;
    expect(page.status).toBe(200);
    return { written, page: page.body };
  } finally {
    other.child.kill('SIGCONT');
  }
}

/** Appends `count` posts by `userId` to `roomId` straight onto the log, all in flight at once. */
async function flood(userId: string, roomId: string, count: number): Promise<void> {
  const store = await EventStore.open(stack.nc, stack.s.stream);
  const meta = { correlation_id: 'flood', causation_id: null, actor: userId };
  await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const data = { room_id: roomId, message_id: `m_${roomId}${i}`, user_id: userId, content: `flood ${i}`, client_msg_id: null };
      return store.append(stack.s.events.messages(roomId), { type: 'MessagePosted', data }, { meta, now: new Date() });
    }),
  );
}
