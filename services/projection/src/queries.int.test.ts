import { call, connect, type NatsConnection } from '@chat/bus';
import { subjects } from '@chat/contracts';
import { createDb } from '@chat/db';
import { createLogger } from '@chat/runtime';
import { createTestEnv, type TestEnv } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from './db/schema.ts';
import { serveQueries } from './queries.ts';
import { Writer } from './writer.ts';

let env: TestEnv;
let nc: NatsConnection;

beforeAll(async () => {
  env = await createTestEnv();
  nc = await connect({ servers: env.natsUrl });
});

afterAll(async () => {
  await nc?.close();
  await env?.cleanup();
});

describe('history queries while Postgres is away', () => {
  it('answer unavailable (503), also a read that waits for a position on a copy that is not the writer', async () => {
    const s = subjects(`${env.namespace}_away`);
    // Nothing listens there.
    const db = createDb<Database>('postgres://postgres@127.0.0.1:1/chat');
    const log = createLogger('projection', 'silent');
    // Never started: a standby copy, which reads the writer's position from the checkpoint.
    const writer = new Writer({ nc, db, s, log, name: 'away', identity: async () => ({ name: s.stream, created: 'x', lastSeq: 0 }) });
    const queries = await serveQueries({ nc, s, db, writer, log });
    try {
      const codeOf = (p: Promise<unknown>) =>
        p.then(
          () => 'ok',
          (e: { code?: string }) => e.code,
        );
      expect(await codeOf(call(nc, s, 'messages', { room_id: 'r1' }))).toBe('unavailable');
      // Before, this one was a 500 (internal): the wait's read of the checkpoint was not classified.
      expect(await codeOf(call(nc, s, 'messages', { room_id: 'r1', min_position: 5 }))).toBe('unavailable');
    } finally {
      await queries.stop();
      await db.destroy();
    }
  });
});
