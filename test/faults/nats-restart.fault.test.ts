import { eventually, testImages } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestUser } from '../support/client.ts';
import { NatsNode, PostgresServer } from '../support/servers.ts';
import { type Stack, startStack } from '../support/stack.ts';

// The whole system on a NATS server of the test's own, restarted with the same store directory:
// every bucket (leases, presence, uploads) must still be there, and every service carry on.
let nats: NatsNode;
let postgres: PostgresServer;
let stack: Stack;

beforeAll(async () => {
  [nats, postgres] = await Promise.all([NatsNode.start(), PostgresServer.start()]);
  stack = await startStack({ servers: { natsUrl: nats.url, postgresUrl: postgres.url } });
});
afterAll(async () => {
  await stack?.stop().catch(() => undefined);
  await Promise.all([nats?.destroy(), postgres?.destroy()]);
});

const ready = async (url: string) => (await fetch(`${url}/readyz`)).status;

describe('NATS restarted under the running system (same store directory)', () => {
  it('keeps the projection applying, presence answering, uploads working and readiness true', async () => {
    const [ann, bob] = await TestUser.registerAll(stack, ['Ann', 'Bob']);
    expect((await ann.join('lobby')).status).toBe(200);
    expect((await bob.join('lobby')).status).toBe(200);
    expect((await ann.post('lobby', 'before the restart')).status).toBe(201);

    await nats.stop('SIGTERM');
    await nats.start();

    // Posts are accepted again once the services have reconnected.
    await eventually(
      async () => ((await ann.post('lobby', 'after the restart', { client_msg_id: 'after-1' })).status === 201 ? true : undefined),
      'a post after the restart',
      20_000,
    );
    // …and the read model takes them: the projection still holds its lease and applies.
    await eventually(
      async () => ((await bob.history('lobby')).body.some((m: { content: string }) => m.content === 'after the restart') ? true : undefined),
      'the projection applying after the restart',
      20_000,
    );
    expect((await ann.request('GET', '/rooms/lobby/presence')).status).toBe(200);
    const upload = await fetch(`${stack.url}/users/${ann.id}/avatar`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ann.token}`, 'content-type': 'image/png' },
      body: new Uint8Array(await testImages.png()),
    });
    expect(upload.status).toBe(200);
    expect(await ready(stack.projectionOpsUrl)).toBe(200);
    expect(await ready(stack.gatewayOpsUrl)).toBe(200);
  }, 90_000);
});
