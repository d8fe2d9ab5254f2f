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

// The projection writes message rows as array parameters: contents that array literals must
// escape come back exactly as posted, over the socket and in history.
const TRICKY = ['say "hi"', 'back\\slash', '{a,b}', 'NULL', 'comma, and ; semicolon', "it's", 'é ü 漢字 😀', '  padded  ', 'line\nbreak', '\\"{}'];

describe('projection batches', () => {
  it('stores and publishes any content exactly as posted', async () => {
    const u = await TestUser.register(stack, 'Quoter');
    await u.join('quotes');
    const socket = await u.connect('quotes');
    await socket.ready();
    for (const [i, content] of TRICKY.entries()) socket.send({ type: 'message', content, client_msg_id: `q${i}` });
    await socket.until(() => socket.messages().filter((m) => m.type === 'text').length >= TRICKY.length, 'all live');
    const expected = TRICKY.map((c) => c.trim());
    expect(
      socket
        .messages()
        .filter((m) => m.type === 'text')
        .map((m) => m.content)
        .sort(),
    ).toEqual([...expected].sort());
    const history = await u.history('quotes', '?limit=100');
    expect(
      history.body
        .filter((m) => m.type === 'text')
        .map((m) => m.content)
        .sort(),
    ).toEqual([...expected].sort());
    expect(history.body.filter((m) => m.type === 'text')).toEqual(
      socket
        .messages()
        .filter((m) => m.type === 'text')
        .sort((a, b) => a.seq - b.seq),
    );
    socket.close();
  });
});
