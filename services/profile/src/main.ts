import { openUploadStore } from '@chat/bus';
import { createDb, ensureDatabase, migrateToLatest, sql } from '@chat/db';
import { baseConfig, bootService, isMainModule, runMain } from '@chat/runtime';
import { migrations } from './db/migrations.ts';
import { SCHEMA, type Database } from './db/schema.ts';
import { startProfileService } from './profile-service.ts';

export const start = (env: NodeJS.ProcessEnv = process.env) =>
  bootService({
    name: 'profile',
    schema: baseConfig(8082),
    env,
    start: async ({ config, nc, s, log, observeRequest, replicas }) => {
      await ensureDatabase(config.DATABASE_URL);
      const db = createDb<Database>(config.DATABASE_URL);
      try {
        await migrateToLatest(db, SCHEMA, migrations);
        const uploads = await openUploadStore(nc, s, { replicas });
        const service = await startProfileService({ nc, s, log, db, uploads, onRequest: observeRequest });
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
