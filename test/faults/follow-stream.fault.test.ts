import { connectNats, followStream, jetstream, jetstreamManager, type NatsConnection, nuid } from '@chat/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsCluster } from '../support/servers.ts';

// A follower of the log (the projection's writer, every gateway's live feed) on a 3-node cluster,
// when the node that holds its ordered consumer is killed: the consumer is gone with it, and the
// follower must notice and carry on from where it was within 5 s, with no gap and no duplicate.
let cluster: NatsCluster;
let nc: NatsConnection;

beforeAll(async () => {
  cluster = await NatsCluster.start(3);
  nc = await connectNats(cluster.url, { name: 'follow-stream-fault' });
}, 120_000);
afterAll(async () => {
  await nc?.close();
  await cluster?.destroy();
});

describe('a follower whose consumer vanished with a killed cluster node', () => {
  it('notices within 5 s, makes a new one and carries on after the last message it took', async () => {
    const stream = `FOLLOW_${nuid.next()}`;
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], num_replicas: 3 });
    const js = jetstream(nc);
    const seen: number[] = [];
    const resets: number[] = [];
    const follower = followStream(nc, {
      stream,
      fromSeq: 1,
      batch: 100,
      onBatch: async (msgs) => {
        for (const m of msgs) seen.push(m.seq);
      },
      onReset: () => {
        resets.push(Date.now());
      },
    });
    try {
      for (let i = 0; i < 10; i++) await js.publish(`${stream}.x`, String(i));
      const until = async (n: number, ms: number) => {
        const deadline = Date.now() + ms;
        while (seen.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        return seen.length >= n;
      };
      expect(await until(10, 10_000)).toBe(true);
      // The node that holds the follower's (R1, ephemeral) consumer.
      const consumers = await jsm.consumers.list(stream).next();
      const host = consumers[0]?.cluster?.leader;
      const node = cluster.nodes.find((_, i) => `n${i + 1}` === host);
      expect(node).toBeDefined();
      await node!.stop('SIGKILL');
      const killedAt = Date.now();
      // The stream keeps its quorum (2 of 3): writes go on.
      let i = 10;
      while (i < 20) {
        try {
          await js.publish(`${stream}.x`, String(i), { timeout: 2000 });
          i++;
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      // On 2.9.10 the stream has no leader for some seconds when that node led it, and no consumer
      // can be made while the cluster elects a new meta leader when that node was the meta leader.
      const writable = Date.now();
      expect(await until(20, 30_000)).toBe(true);
      const detected = (resets.find((t) => t >= killedAt) ?? Number.POSITIVE_INFINITY) - killedAt;
      const caughtUp = Date.now() - writable;
      console.log(
        `[faults] follower's consumer node killed: noticed after ${detected} ms, stream writable after ${writable - killedAt} ms, caught up ${caughtUp} ms later`,
      );
      expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(detected).toBeLessThan(5000);
      expect(caughtUp).toBeLessThan(15_000);
      await node!.start();
    } finally {
      await follower.stop();
    }
  });
});
