import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsNode } from '../support/servers.ts';
import { FaultStack } from './support/fault-stack.ts';
import { type Account, register } from './support/load.ts';
import { expectWhole } from './support/expect.ts';
import { COPIES, runScenario } from './support/scenario.ts';
import type { ServiceName } from './support/services.ts';

// One stack (own NATS node, own Postgres, every service a process) shared by the scenarios: each
// runs in a room of its own and leaves the stack whole and ready for the next.
let stack: FaultStack;
let accounts: { posters: Account[]; observers: Account[] };

beforeAll(async () => {
  stack = await FaultStack.start({ copies: COPIES });
  const users = await register(stack.gateways, 8, 'faulty');
  accounts = { posters: users.slice(0, 4), observers: users.slice(4) };
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

const first = (name: ServiceName) => () => stack.services[name][0]!;

describe('each service killed with -9 and restarted under load', () => {
  for (const name of ['room', 'profile', 'projection'] as const) {
    it(name, async () => {
      const svc = first(name);
      expectWhole(
        await runScenario(stack, `${name} killed -9, restarted`, accounts, { inject: () => svc().kill('SIGKILL'), heal: () => svc().start(), holdMs: 1000 }),
      );
    });
  }

  it('gateway, with sockets open: they resume with since on the other gateway', async () => {
    const svc = first('gateway');
    const r = await runScenario(stack, 'gateway killed -9 with sockets open, restarted', accounts, {
      inject: () => svc().kill('SIGKILL'),
      heal: () => svc().start(),
      holdMs: 1000,
    });
    expectWhole(r);
    // Half the sockets were on the killed gateway.
    expect(r.resumes).toBeGreaterThanOrEqual(3);
  });
});

describe('each service paused (SIGSTOP 5 s, SIGCONT) with no other copy', () => {
  for (const name of ['room', 'profile', 'projection', 'gateway'] as const) {
    it(name, async () => {
      const svc = first(name);
      expectWhole(
        await runScenario(stack, `${name} paused 5 s, no standby`, accounts, {
          inject: async () => svc().pause(),
          heal: async () => svc().resume(),
          holdMs: 5000,
          // Clients that know one gateway only: nothing else to turn to.
          ...(name === 'gateway' ? { gateways: () => [svc()] } : {}),
        }),
      );
    });
  }
});

describe('each service paused beside a standby copy', () => {
  for (const name of ['room', 'profile', 'gateway'] as const) {
    it(name, async () => {
      const svc = first(name);
      const standby = name === 'gateway' ? null : await stack.spawn(name);
      try {
        expectWhole(
          await runScenario(stack, `${name} paused 5 s beside a standby`, accounts, {
            inject: async () => svc().pause(),
            heal: async () => svc().resume(),
            holdMs: 5000,
          }),
        );
      } finally {
        if (standby) await stack.retire(standby);
      }
    });
  }

  it('projection, past its lease: the standby takes over, the old holder resumes fenced', async () => {
    const svc = first('projection');
    const standby = await stack.spawn('projection');
    try {
      expectWhole(
        await runScenario(stack, 'projection paused 15 s beside a standby', accounts, {
          inject: async () => svc().pause(),
          heal: async () => svc().resume(),
          holdMs: 15_000,
        }),
      );
    } finally {
      await stack.retire(standby);
    }
  });
});

describe('readiness follows NATS', () => {
  it('every service answers not ready within 2 s of losing NATS, and ready again after it is back', async () => {
    const nats = stack.nats as NatsNode;
    await nats.stop('SIGTERM');
    try {
      const stillReady = async () => (await Promise.all(stack.all.map(async (s) => ((await s.ready()) ? s.label : null)))).filter(Boolean);
      const deadline = Date.now() + 2000;
      let ready = await stillReady();
      while (ready.length > 0 && Date.now() < deadline) ready = await stillReady();
      expect(ready).toEqual([]);
      // The metric an alert watches says the same.
      for (const s of stack.all) expect(await (await fetch(`${s.opsUrl}/metrics`)).text(), s.label).toMatch(/^chat_nats_connected(\{[^}]*\})? 0$/m);
    } finally {
      await nats.start();
    }
    await stack.allReady();
  });
});

describe('servers restarted under load', () => {
  it('NATS (same store directory)', async () => {
    const nats = stack.nats as NatsNode;
    expectWhole(await runScenario(stack, 'NATS restarted', accounts, { inject: () => nats.stop('SIGTERM'), heal: () => nats.start(), holdMs: 2000 }));
  });

  it('NATS paused (SIGSTOP 6 s, SIGCONT): the projection keeps its lease through the timed-out renewal', async () => {
    const nats = stack.nats as NatsNode;
    const r = await runScenario(stack, 'NATS paused 6 s', accounts, { inject: async () => nats.pause(), heal: async () => nats.resume(), holdMs: 6000 });
    expectWhole(r);
    // The lease kept (or taken straight back): history is back as soon as NATS is, not a lease TTL later.
    expect(r.recovery_s).toBeLessThan(10);
  });

  it('Postgres sessions terminated (pg_terminate_backend) while in use: handled, reconnected, no process dies', async () => {
    const admin = new pg.Client({ connectionString: stack.postgres.url });
    await admin.connect();
    const terminate = async () => {
      // Again and again: some of them catch a session checked out of its pool between two queries.
      for (let i = 0; i < 8; i++) {
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
          new URL(stack.env.databaseUrl).pathname.slice(1),
        ]);
        await new Promise((r) => setTimeout(r, 400));
      }
    };
    try {
      expectWhole(await runScenario(stack, 'Postgres sessions terminated', accounts, { inject: terminate, heal: async () => undefined }));
    } finally {
      await admin.end();
    }
  });

  it('Postgres', async () => {
    expectWhole(
      await runScenario(stack, 'Postgres restarted', accounts, { inject: () => stack.postgres.stop('fast'), heal: () => stack.postgres.start(), holdMs: 2000 }),
    );
  });
});
