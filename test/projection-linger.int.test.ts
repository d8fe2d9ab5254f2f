import type { MyRoomView, ServerFrame } from '@chat/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestUser } from './support/client.ts';
import { type Stack, startStack } from './support/stack.ts';

// A writer that waits far longer for company than any read waits for its writes (2 s): each read
// below passes only if a reader waiting for its own write ends the linger.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ projectionEnv: { PROJECTION_LINGER_MS: '30000' } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('the writer lingers for company, and a reader waiting for its own write never waits for it', () => {
  it('a join shows in my rooms, and a post in history, right after each', async () => {
    const u = await TestUser.register(stack, 'Lingerer');
    expect((await u.join('linger')).status).toBe(200);
    const mine = await u.request<MyRoomView[]>('GET', '/me/rooms');
    expect(mine.status).toBe(200);
    expect(mine.body.map((r) => r.id)).toContain('linger');
    for (let i = 0; i < 5; i++) {
      const posted = await u.post('linger', `m${i}`);
      expect(posted.status).toBe(201);
      const history = await u.history('linger', '?limit=5');
      expect(history.status).toBe(200);
      expect(history.body.map((m) => m.id)).toContain(posted.body.id);
    }
  });

  it('a socket resuming from its cursor gets what was posted while it was away', async () => {
    const u = await TestUser.register(stack, 'Returner');
    await u.join('linger-resume');
    const first = await u.connect('linger-resume');
    await first.ready();
    const cursor = first.cursor();
    first.close();
    const posted = (await u.post('linger-resume', 'while away')).body;
    const resumed = await u.connect('linger-resume', { since: String(cursor) });
    await resumed.until((f) => f.some((x) => x.type === 'ready'), 'ready after the replay');
    const replayed = resumed.frames.flatMap((f: ServerFrame) => (f.type === 'message' ? [f.message.id] : []));
    expect(replayed).toEqual([posted.id]);
    resumed.close();
  });
});
