import { headers, jetstream, nuid } from '@chat/bus';
import { eventually } from '@chat/testkit';
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

  it('a post repeated in the log (same message id, or same client id) is one message, in a batch or alone, and no dead letter', async () => {
    const u = await TestUser.register(stack, 'Repeater');
    await u.join('repeats');
    const js = jetstream(stack.nc);
    const post = (message_id: string, content: string, client_msg_id: string | null) => {
      const h = headers();
      h.set('Chat-Event-Type', 'MessagePosted');
      const event = {
        id: nuid.next(),
        type: 'MessagePosted',
        version: 1,
        occurred_at: new Date().toISOString(),
        data: { room_id: 'repeats', message_id, user_id: u.id, content, client_msg_id },
        meta: { correlation_id: 'repeat-test', causation_id: null, actor: u.id },
      };
      return js.publish(stack.s.events.messages('repeats'), JSON.stringify(event), { headers: h });
    };
    // Published together, so most arrive in one batch with the duplicates; then one more alone.
    await Promise.all([
      post('m_rep1', 'first', 'c_rep1'),
      post('m_rep1', 'first again, same id', null),
      post('m_rep2', 'second', 'c_rep2'),
      post('m_rep3', 'second again, same client id', 'c_rep2'),
      post('m_rep4', 'third', null),
    ]);
    const history = await eventually(async () => {
      const res = await u.history('repeats', '?limit=100');
      return res.status === 200 && res.body.some((m) => m.content === 'third') ? res.body : undefined;
    }, 'the posts in history');
    await post('m_rep2', 'second again, alone', null);
    const after = await u.post('repeats', 'after');
    expect(after.status).toBe(201);
    const final = await eventually(async () => {
      const res = await u.history('repeats', '?limit=100');
      return res.status === 200 && res.body.some((m) => m.content === 'after') ? res.body : undefined;
    }, 'the post after the repeat in history');
    const texts = final.filter((m) => m.type === 'text').map((m) => m.content);
    expect(texts).toEqual(['first', 'second', 'third', 'after']);
    expect(history.filter((m) => m.type === 'text').map((m) => m.id)).toEqual(['m_rep1', 'm_rep2', 'm_rep4']);
    const letters = (await (await fetch(`${stack.projectionOpsUrl}/admin/dead-letters`)).json()) as { dead_letters: unknown[] };
    expect(letters.dead_letters).toEqual([]);
  });
});
