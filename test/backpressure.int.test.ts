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

  it('two rooms replaying on one socket that both wait for it to drain both go live', async () => {
    const u = await TestUser.register(stack, 'TwoReplays');
    const rooms = ['drain-a', 'drain-b'];
    for (const room of rooms) await u.join(room);
    const count = 1500;
    await Promise.all(rooms.map((room) => stack.postDirect(u.id, room, { count, prefix: `${room}-`, parallel: 20, content: (i) => `${i} ${BIG}` })));
    const s = await u.connectMux();
    await s.until((f) => f.some((x) => x.type === 'welcome'), 'welcome');
    // Not reading while both replays start: each fills the buffer and waits for a drain.
    const raw = (s.ws as unknown as { _socket: Socket })._socket;
    raw.pause();
    for (const room of rooms) s.send({ type: 'subscribe', room_id: room, since: 0 });
    await new Promise((r) => setTimeout(r, 3000));
    raw.resume();
    // Before, one drain woke one of the two replays only (the other room never went live), and
    // two pages at once in the socket's buffer could close it as too slow (1013).
    await s.until((f) => rooms.every((room) => f.some((x) => x.type === 'subscribed' && x.room_id === room)), 'both rooms subscribed', 60_000);
    expect(s.closeCode).toBeUndefined();
    for (const room of rooms) expect(s.frames.filter((f) => f.type === 'message' && f.room_id === room)).toHaveLength(count + 1);
    s.close();
  }, 120_000);
});
