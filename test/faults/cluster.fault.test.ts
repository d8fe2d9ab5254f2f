import { connect, jetstreamManager } from '@chat/bus';
import { subjects } from '@chat/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsCluster, NatsNode } from '../support/servers.ts';
import { FaultStack } from './support/fault-stack.ts';
import { type Account, register } from './support/load.ts';
import { expectWhole } from './support/expect.ts';
import { COPIES, runScenario, type ScenarioResult } from './support/scenario.ts';

// The system on a 3-node NATS cluster of its own (stream and buckets with 3 replicas): one node
// killed with -9 under load and brought back, the stream's leader and then a follower.
let stack: FaultStack;
let cluster: NatsCluster;
let accounts: { posters: Account[]; observers: Account[] };
let stream: string;

beforeAll(async () => {
  stack = await FaultStack.start({ cluster: true, copies: COPIES });
  cluster = stack.nats as NatsCluster;
  stream = subjects(stack.env.namespace).stream;
  const users = await register(stack.gateways, 8, 'clustered');
  accounts = { posters: users.slice(0, 4), observers: users.slice(4) };
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

/** Until every replica of the stream is back and current (before the next scenario). */
async function replicasCurrent(timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const nc = await connect({ servers: cluster.nodes.map((n) => n.url), timeout: 2000 }).catch(() => null);
    try {
      const info = nc ? await (await jetstreamManager(nc)).streams.info(stream).catch(() => null) : null;
      const replicas = info?.cluster?.replicas ?? [];
      if (info?.cluster?.leader && replicas.length === 2 && replicas.every((r) => r.current)) return;
    } finally {
      await nc?.close();
    }
    if (Date.now() > deadline) throw new Error(`replicas of ${stream} not current within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * What nats-server 2.9.10 keeps through a stream-leader kill: no process dies, the system comes
 * back, nothing is stored or delivered twice or out of order. Its replicas can diverge (an ack
 * naming a seq that history stores under another, or an acked write the new leader lacks), so
 * lost posts and seq mismatches are reported, not asserted; 2.10.23+ keeps them at 0 (expectWhole).
 */
function expectWhat29Keeps(r: ScenarioResult): void {
  expect(r.crashes).toEqual([]);
  expect(r.acked).toBeGreaterThan(100);
  expect({ duplicated: r.duplicated, outOfOrder: r.outOfOrder, duplicatedLive: r.duplicatedLive, outOfOrderLive: r.outOfOrderLive }).toEqual({
    duplicated: 0,
    outOfOrder: 0,
    duplicatedLive: 0,
    outOfOrderLive: 0,
  });
  expect(r.recovery_s).toBeLessThan(30);
}

const keepsFullGuarantee = (version: string) => !/v2\.9\./.test(version);

const killAndBringBack = (node: () => NatsNode) => ({
  inject: () => node().stop('SIGKILL'),
  heal: async () => {
    await node().start();
    await cluster.ready();
  },
  holdMs: 3000,
});

describe('a NATS cluster node killed with -9 under load and brought back', () => {
  it('a follower of the stream', async () => {
    const leader = await cluster.leaderOf(stream);
    const follower = cluster.nodes.find((n) => n !== leader)!;
    expectWhole(
      await runScenario(
        stack,
        'cluster follower killed -9, back',
        accounts,
        killAndBringBack(() => follower),
      ),
    );
    await replicasCurrent();
  });

  it('the stream leader', async () => {
    const leader = await cluster.leaderOf(stream);
    const r = await runScenario(
      stack,
      'cluster stream leader killed -9, back',
      accounts,
      killAndBringBack(() => leader),
    );
    if (keepsFullGuarantee(r.nats_server)) expectWhole(r);
    else expectWhat29Keeps(r);
    await replicasCurrent();
  });
});
