import { openUploadStore } from '@chat/bus';
import { createDb, ensureDatabase, migrateToLatest, sql } from '@chat/db';
import { baseConfig, bootService, Gauge, isMainModule, runMain } from '@chat/runtime';
import { z } from 'zod';
import { ALLOCATOR_ENV, AvatarPool, DEFAULT_POOL } from './avatars/avatar-pool.ts';
import { migrations } from './db/migrations.ts';
import { SCHEMA, type Database } from './db/schema.ts';
import { startProfileService } from './profile-service.ts';

const slots = (fallback: number) => z.coerce.number().int().min(1).max(64).default(fallback);

export const profileConfig = baseConfig(8082).extend({
  /** Avatar decodes at once: pictures over 4 MP (each may hold up to ~160 MB), and smaller ones. */
  AVATAR_LARGE_SLOTS: slots(DEFAULT_POOL.largeSlots),
  AVATAR_SMALL_SLOTS: slots(DEFAULT_POOL.smallSlots),
  /** Pictures waiting for a slot; past it an upload is refused at once with 503. */
  AVATAR_QUEUE: z.coerce.number().int().min(0).max(10_000).default(DEFAULT_POOL.queue),
});

export const start = (env: NodeJS.ProcessEnv = process.env) =>
  bootService({
    name: 'profile',
    schema: profileConfig,
    env,
    // The room and profile services create the streams and buckets (see infra/nats/auth.conf).
    provision: true,
    start: async ({ config, nc, s, log, registry, observeRequest, replicas }) => {
      const missing = Object.entries(ALLOCATOR_ENV).filter(([k, v]) => process.env[k] !== v);
      if (missing.length > 0) {
        log.warn({ set: Object.fromEntries(missing) }, 'without these allocator settings, memory used by large avatar decodes is not given back');
      }
      await ensureDatabase(config.DATABASE_URL);
      const db = createDb<Database>(config.DATABASE_URL, { onConnectionError: (err) => log.warn({ err }, 'a Postgres connection was ended; replacing it') });
      try {
        await migrateToLatest(db, SCHEMA, migrations);
        const uploads = await openUploadStore(nc, s, { replicas });
        const pool = new AvatarPool({
          largeSlots: config.AVATAR_LARGE_SLOTS,
          smallSlots: config.AVATAR_SMALL_SLOTS,
          queue: config.AVATAR_QUEUE,
          largePixels: DEFAULT_POOL.largePixels,
        });
        new Gauge({
          name: 'chat_avatar_queue',
          help: 'avatar pictures waiting to be decoded',
          registers: [registry],
          collect() {
            this.set(pool.queued);
          },
        });
        const service = await startProfileService({ nc, s, log, db, uploads, onRequest: observeRequest, pool });
        return {
          checks: {
            postgres: async () => {
              await sql`SELECT 1`.execute(db);
              return true;
            },
          },
          stop: async () => {
            await service.stop();
            await db.destroy();
          },
        };
      } catch (err) {
        await db.destroy();
        throw err;
      }
    },
  });

if (isMainModule(import.meta.url)) void runMain('profile', start);
