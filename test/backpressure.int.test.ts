import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { startStack, type Stack } from './support/stack.ts';
import { TestUser } from './support/client.ts';
import { eventually } from '@chat/testkit';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const FLOOD = 4000;
const BIG = 'x'.repeat(3900);

describe('backpressure', () => {
  it('a reader that stops reading is closed with 1013 while the others keep receiving, then resumes with nothing missing', async () => {
    const [slowUser, fastUser, writer] = await TestUser.registerAll(stack, ['Slow', 'Fast', 'Writer']);
    for (const u of [slowUser, fastUser, writer]) await u.join('flood');
    const slow = await slowUser.connect('flood');
    const fast = await fastUser.connect('flood');
    await Promise.all([slow.ready(), fast.ready()]);
    const start = slow.cursor();
    // Stop reading: the kernel buffers fill, then the gateway's.
    (slow.ws as unknown as { _socket: Socket })._socket.pause();

    const flooding = stack.postDirect(writer.id, 'flood', { count: FLOOD, prefix: 'f', parallel: 20, content: (i) => `${i} ${BIG}` });
    // The gateway gives up on the slow reader (it has 30 s to read its close frame from then on).
    await eventually(
      async () => (/chat_ws_slow_closed_total\{[^}]*\} 1/.test(await (await fetch(`${stack.gatewayOpsUrl}/metrics`)).text()) ? true : undefined),
      'the slow reader given up on',
      60_000,
    );
    // Reading again, the slow one finds what was buffered for it, then the resumable close.
    (slow.ws as unknown as { _socket: Socket })._socket.resume();
    expect(await slow.closed(30_000)).toBe(1013);
    await flooding;
    await fast.until(() => fast.messages().filter((m) => m.type === 'text').length === FLOOD, 'the fast reader gets everything', 60_000);
    expect(fast.closeCode).toBeUndefined();
    const got = slow.messages().filter((m) => m.type === 'text');
    expect(got.length).toBeLessThan(FLOOD);
    const cursor = got.length > 0 ? got[got.length - 1]!.seq : start;

    const resumed = await slowUser.connect('flood', { since: String(cursor) });
    await resumed.until(() => got.length + resumed.messages().filter((m) => m.type === 'text').length >= FLOOD, 'the rest after resuming', 60_000);
    const all = [...got, ...resumed.messages().filter((m) => m.type === 'text')];
    expect(all).toHaveLength(FLOOD);
    expect(new Set(all.map((m) => m.client_msg_id))).toEqual(new Set(Array.from({ length: FLOOD }, (_, i) => `f${i}`)));
    const seqs = all.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    resumed.close();
    fast.close();
  }, 120_000);
});
