import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start as startGateway } from '@chat/gateway';
import { startStack, type Stack } from './support/stack.ts';
import { LiveSocket, TestUser } from './support/client.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('graceful shutdown', () => {
  it('a stopping gateway closes its sockets with 1001 so clients move on', async () => {
    const second = await startGateway(stack.envFor());
    const wsUrl = `ws://127.0.0.1:${second.info.port as number}`;
    const u = await TestUser.register(stack, 'Mover');
    await u.join('moving');
    const socket = await LiveSocket.open(`${wsUrl}/ws/moving/${u.id}?token=${u.token}`);
    await socket.until((f) => f.some((x) => x.type === 'ready'), 'ready');
    await second.running.stop();
    expect(await socket.closed()).toBe(1001);
    // The other gateway keeps serving.
    expect((await u.history('moving')).status).toBe(200);
  });
});
