import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveSocket, TestUser } from './support/client.ts';
import { spawnGateway } from './support/process.ts';
import { type Stack, startStack } from './support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** How many times the projection answered an endpoint (its request histogram's count). */
async function served(endpoint: string): Promise<number> {
  const metrics = await (await fetch(`${stack.projectionOpsUrl}/metrics`)).text();
  const line = metrics.split('\n').find((l) => l.startsWith('chat_rpc_seconds_count') && l.includes(`endpoint="${endpoint}"`) && l.includes('ok="true"'));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('a storm of resumes in one room', () => {
  it('sockets resuming from many cursors on a gateway that just started cost one read of the room, and each gets exactly what it missed', async () => {
    const [poster, ...readers] = await TestUser.registerAll(stack, ['Poster', ...Array.from({ length: 40 }, (_, i) => `Reader ${i}`)]);
    await poster.join('storm');
    for (const r of readers) await r.join('storm');
    const seqs: number[] = [];
    for (let i = 0; i < 60; i++) seqs.push((await poster.post('storm', `m${i}`)).body.seq);

    const fresh = await spawnGateway(stack);
    try {
      const [recentBefore, changesBefore] = [await served('recent'), await served('changes')];
      // Each reader last saw a different message among the latest sixty.
      const sockets = await Promise.all(readers.map((r, i) => LiveSocket.open(`${fresh.wsUrl}/ws/storm/${r.id}?token=${r.token}&since=${seqs[i]!}`)));
      await Promise.all(sockets.map((s) => s.ready()));
      sockets.forEach((s, i) => {
        const got = s
          .messages()
          .filter((m) => m.type === 'text')
          .map((m) => m.content);
        expect(got).toEqual(Array.from({ length: 59 - i }, (_, k) => `m${i + 1 + k}`));
      });
      expect((await served('recent')) - recentBefore).toBe(1);
      expect((await served('changes')) - changesBefore).toBe(0);
      for (const s of sockets) s.close();
    } finally {
      await fresh.kill('SIGKILL');
    }
  }, 90_000);
});
