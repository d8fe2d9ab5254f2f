import { Lease, jetstreamManager, nuid, openLeaseBucket } from '@chat/bus';
import { createDb, ensureDatabase, migrateToLatest, sql } from '@chat/db';
import { Gauge, Histogram, baseConfig, bootService, isMainModule, runMain } from '@chat/runtime';
import { z } from 'zod';
import { migrations } from './db/migrations.ts';
import { SCHEMA, type Database } from './db/schema.ts';
import { serveQueries } from './projection-service.ts';
import { Projector } from './projector.ts';

export const projectionConfig = baseConfig(8083).extend({
  PROJECTION_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('projection'),
});

export const start = (env: NodeJS.ProcessEnv = process.env) =>
  bootService({
    name: 'projection',
    schema: projectionConfig,
    env,
    start: async ({ config, nc, s, log, registry, observeRequest, replicas }) => {
      await ensureDatabase(config.DATABASE_URL);
      const db = createDb<Database>(config.DATABASE_URL);
      await migrateToLatest(db, SCHEMA, migrations);
      const batchSeconds = new Histogram({ name: 'chat_projection_batch_seconds', help: 'time to apply one batch', registers: [registry] });
      const position = new Gauge({ name: 'chat_projection_position', help: 'last applied stream sequence', registers: [registry] });
      const projector = new Projector({
        nc,
        db,
        s,
        log,
        name: config.PROJECTION_NAME,
        onBatch: (_applied, ms) => {
          batchSeconds.observe(ms / 1000);
          position.set(projector.position);
        },
      });
      // One copy applies events; the others answer queries and take over when its lease lapses.
      const lease = new Lease(() => openLeaseBucket(nc, s, { replicas }), `projection.${config.PROJECTION_NAME}`, nuid.next());
      const stopping = new AbortController();
      const leading = (async () => {
        while (!stopping.signal.aborted) {
          const { lost } = await lease.acquire(stopping.signal);
          if (stopping.signal.aborted) break;
          log.info({ name: config.PROJECTION_NAME }, 'projection active');
          await projector.start();
          await Promise.race([lost, new Promise((r) => stopping.signal.addEventListener('abort', r))]);
          await projector.stop();
          if (!stopping.signal.aborted) log.warn('projection lease lost; standing by');
        }
      })();
      const queries = await serveQueries({ nc, s, db, projector, log, onRequest: observeRequest });
      return {
        checks: {
          postgres: async () => {
            await sql`SELECT 1`.execute(db);
            return true;
          },
        },
        extendOps: (app) => {
          app.get('/admin/lag', async () => {
            const info = await (await jetstreamManager(nc)).streams.info(s.stream);
            const last = info.state.last_seq;
            return { active: projector.active, position: projector.position, stream_last_seq: last, lag: Math.max(0, last - projector.position) };
          });
          app.post('/admin/rebuild', async (_req, reply) => {
            if (!projector.active) return reply.code(409).send({ error: { code: 'conflict', message: 'this copy is standing by; ask the active one' } });
            await projector.rebuild();
            return reply.code(202).send({ status: 'rebuilding' });
          });
        },
        stop: async () => {
          await queries.stop();
          stopping.abort();
          await leading;
          await lease.release();
          await db.destroy();
        },
      };
    },
  });

if (isMainModule(import.meta.url)) void runMain('projection', start);
