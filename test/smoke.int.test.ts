import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/stack.ts';
import { TestUser } from './support/client.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('smoke', () => {
  it('registers, joins, connects, posts and reads history', async () => {
    const ann = await TestUser.register(stack, 'Ann', { avatar_url: 'https://cdn.example.com/ann.png' });
    expect((await ann.join('lobby')).status).toBe(200);
    const socket = await ann.connect('lobby');
    await socket.until((f) => f.some((x) => x.type === 'ready'), 'ready');
    socket.send({ type: 'message', content: 'hello', client_msg_id: 'c1' });
    await socket.until((_f) => socket.messages().some((m) => m.content === 'hello'), 'message');
    const history = await ann.history('lobby');
    expect(history.status).toBe(200);
    expect(history.body.map((m) => m.content)).toContain('hello');
    expect(history.body.find((m) => m.content === 'hello')?.avatar).toBe('https://cdn.example.com/ann.png');
    socket.close();
  });
});
