import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, TestUser } from './support/client.ts';
import { spawnGateway, type ServiceProcess } from './support/process.ts';
import { type Stack, startStack } from './support/stack.ts';

// The projection writes in groups of up to 500 ms here, so that a read it answers at once from
// what it has committed would miss a post just made.
let stack: Stack;
let other: ServiceProcess;
beforeAll(async () => {
  stack = await startStack({ projectionEnv: { PROJECTION_LINGER_MS: '500' } });
  other = await spawnGateway(stack);
});
afterAll(async () => {
  await other?.kill('SIGTERM');
  await stack?.stop();
});

describe('read your writes across gateways', () => {
  it('a post acknowledged through one gateway is in history read at once through another whose feed has not read it yet', async () => {
    const u = await TestUser.register(stack, 'Crosser');
    await u.join('cross');
    const viaOther = { ...stack, url: other.url } as Stack;
    const auth = { authorization: `Bearer ${u.token}` };
    const missed: number[] = [];
    for (let i = 0; i < 10; i++) {
      // The other gateway stops for a moment (a pause, a busy core): its feed falls behind.
      other.child.kill('SIGSTOP');
      const posted = await u.post('cross', `m${i}`);
      expect(posted.status).toBe(201);
      const read = http(viaOther, 'GET', '/rooms/cross/messages?limit=5', undefined, auth);
      await new Promise((r) => setTimeout(r, 50));
      other.child.kill('SIGCONT');
      const page = await read;
      expect(page.status).toBe(200);
      if (!page.body.some((m: { id: string }) => m.id === posted.body.id)) missed.push(i);
    }
    // Before, the other gateway asked for what its own feed had read: about half were missed.
    expect(missed).toEqual([]);
  });
});
