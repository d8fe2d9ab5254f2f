import { call, connect, ensureEventStream, jetstreamManager, type NatsConnection, openUploadStore } from '@chat/bus';
import { subjects } from '@chat/contracts';
import { createDb } from '@chat/db';
import { createLogger } from '@chat/runtime';
import { createTestEnv, type TestEnv } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from './db/schema.ts';
import { startProfileService } from './profile-service.ts';

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

describe('the profile service while its Postgres is away', () => {
  it('answers unavailable (503, retry), not internal, where it needs Postgres', async () => {
    const s = subjects(`${env.namespace}_pg_away`);
    await ensureEventStream(await jetstreamManager(nc), s);
    // Nothing listens there.
    const db = createDb<Database>('postgres://postgres@127.0.0.1:1/chat');
    const service = await startProfileService({ nc, s, log: createLogger('profile', 'silent'), db, uploads: await openUploadStore(nc, s) });
    try {
      const error = await call(nc, s, 'getAvatar', { key: 'a'.repeat(64), size: 64 }).then(
        () => null,
        (e: { code?: string }) => e.code,
      );
      // Before: internal (a 500 without Retry-After through the gateway).
      expect(error).toBe('unavailable');
    } finally {
      await service.stop();
      await db.destroy();
    }
  });
});
