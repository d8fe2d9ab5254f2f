import { eventually, testImages } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestUser } from '../support/client.ts';
import { AuthNats } from '../support/nats-auth.ts';
import { type Stack, startStack } from '../support/stack.ts';

// The whole system as four NATS users (infra/nats/auth.conf) through a restart of its NATS
// server: what the services do to recover (consumers checked and recreated, the lease renewed,
// buckets reopened, services re-registered) must be inside their permissions too.
let nats: AuthNats;
let stack: Stack;

beforeAll(async () => {
  nats = await AuthNats.start();
  stack = await startStack({ servers: { natsUrl: nats.url }, namespace: 'chat', natsAuth: nats.stackAuth });
});
afterAll(async () => {
  await stack?.stop().catch(() => undefined);
  await nats?.destroy();
});

describe('NATS restarted under a system whose services have least privilege', () => {
  it('carries on (posts, live frames, history, presence, uploads) with no permission refused', async () => {
    const [ann, bob] = await TestUser.registerAll(stack, ['Ann', 'Bob']);
    expect((await ann.join('lobby')).status).toBe(200);
    expect((await bob.join('lobby')).status).toBe(200);
    const socket = await bob.connect('lobby');
    await socket.ready();
    expect((await ann.post('lobby', 'before the restart')).status).toBe(201);
    await socket.until(() => socket.messages().some((m) => m.content === 'before the restart'), 'a frame before the restart');

    await nats.node.stop('SIGTERM');
    await nats.node.start();

    await eventually(
      async () => ((await ann.post('lobby', 'after the restart', { client_msg_id: 'after-1' })).status === 201 ? true : undefined),
      'a post after the restart',
      20_000,
    );
    await eventually(
      async () => ((await bob.history('lobby')).body.some((m: { content: string }) => m.content === 'after the restart') ? true : undefined),
      'the projection applying after the restart',
      20_000,
    );
    // The socket resumes or the client reconnects: a new socket sees the post live.
    const again = await bob.connect('lobby');
    await again.ready();
    expect((await ann.post('lobby', 'live again', { client_msg_id: 'after-2' })).status).toBe(201);
    await again.until(() => again.messages().some((m) => m.content === 'live again'), 'a frame after the restart', 15_000);
    expect((await ann.request('GET', '/rooms/lobby/presence')).status).toBe(200);
    const upload = await fetch(`${stack.url}/users/${ann.id}/avatar`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ann.token}`, 'content-type': 'image/png' },
      body: new Uint8Array(await testImages.png()),
    });
    expect(upload.status).toBe(200);
    for (const url of [stack.projectionOpsUrl, stack.gatewayOpsUrl]) {
      await eventually(async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined), `${url} ready`, 20_000);
    }
    socket.close();
    again.close();
    expect(nats.violations()).toEqual([]);
  }, 90_000);
});
