import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultStack } from './support/fault-stack.ts';
import { type Account, register } from './support/load.ts';
import { runScenario, type ScenarioResult } from './support/scenario.ts';

// One stack (own NATS node, own Postgres, every service a process) shared by the scenarios: each
// runs in a room of its own and leaves the stack whole and ready for the next.
let stack: FaultStack;
let accounts: { posters: Account[]; observers: Account[] };

beforeAll(async () => {
  stack = await FaultStack.start();
  const users = await register(stack.gateways, 8, 'faulty');
  accounts = { posters: users.slice(0, 4), observers: users.slice(4) };
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

/** Every acked post once in history, in order, and once on every socket; no process died by itself. */
function expectWhole(r: ScenarioResult): void {
  expect(r.crashes).toEqual([]);
  expect(r.acked).toBeGreaterThan(100);
  expect({ lost: r.lost, duplicated: r.duplicated, seqMismatch: r.seqMismatch, outOfOrder: r.outOfOrder }).toEqual({
    lost: 0,
    duplicated: 0,
    seqMismatch: 0,
    outOfOrder: 0,
  });
  expect({ missedLive: r.missedLive, duplicatedLive: r.duplicatedLive, outOfOrderLive: r.outOfOrderLive }).toEqual({
    missedLive: 0,
    duplicatedLive: 0,
    outOfOrderLive: 0,
  });
  expect(r.recovery_s).toBeLessThan(30);
}

describe('each service killed with -9 and restarted under load', () => {
  for (const name of ['room', 'profile', 'projection'] as const) {
    it(name, async () => {
      const svc = () => stack.services[name][0]!;
      expectWhole(
        await runScenario(stack, `${name} killed -9 and restarted`, accounts, { inject: () => svc().kill('SIGKILL'), heal: () => svc().start(), holdMs: 1000 }),
      );
    });
  }
});
