import { Lease, jetstreamManager, nuid, openLeaseBucket, streamIdentity } from '@chat/bus';
import { createDb, ensureDatabase, migrateToLatest, sql } from '@chat/db';
import { Counter, Gauge, Histogram, baseConfig, bootService, isMainModule, lowerPriority, runMain } from '@chat/runtime';
import { z } from 'zod';
import { CheckpointMismatchError, checkIdentity, resetReadModels } from './db/checkpoint.ts';
import { deadLetters } from './db/dead-letters.ts';
import { migrations } from './db/migrations.ts';
import { type Database, SCHEMA } from './db/schema.ts';
import { serveQueries } from './queries.ts';
import { LINGER_MS, STALL_MS, Writer } from './writer.ts';

const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1');

export const projectionConfig = baseConfig(8083).extend({
  PROJECTION_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('projection'),
  /** Empty the read models and build them again from the log (e.g. after the stream was recreated). */
  PROJECTION_REBUILD: flag,
  /** How long a batch waits for company while following live (see `LINGER_MS`); reads never wait for it. */
  PROJECTION_LINGER_MS: z.coerce.number().int().min(0).max(60_000).default(LINGER_MS),
  /**
   * The nice value the projection takes when it runs as a process of its own (its entry point: the
   * image, `pnpm start`): its writer is off the live path, so where they share cores the live path
   * goes first. 0 leaves the priority as it is.
   */
  PROJECTION_NICE: z.coerce.number().int().min(0).max(19).default(10),
});

/** How often the stream is read: its end for the lag gauge and readiness, its identity for the writer. */
const LAG_EVERY_MS = 1000;

/** `ownProcess`: nothing else runs in this process, so its priority is the projection's to set. */
export const start = (env: NodeJS.ProcessEnv = process.env, opts: { ownProcess?: boolean } = {}) =>
  bootService({
    name: 'projection',
    schema: projectionConfig,
    env,
    start: async ({ config, nc, s, log, registry, observeRequest, replicas }) => {
      if (opts.ownProcess && config.PROJECTION_NICE > 0) {
        const failed = lowerPriority(config.PROJECTION_NICE);
        if (failed > 0) log.warn({ failed, nice: config.PROJECTION_NICE }, 'could not lower the priority of every thread');
      }
      await ensureDatabase(config.DATABASE_URL);
      const db = createDb<Database>(config.DATABASE_URL, {
        idleInTransactionMs: 10_000,
        onConnectionError: (err) => log.warn({ err }, 'a Postgres connection was ended; replacing it'),
      });
      const name = config.PROJECTION_NAME;
      const jsm = await jetstreamManager(nc);
      const identity = () => streamIdentity(jsm, s.stream);
      try {
        await migrateToLatest(db, SCHEMA, migrations);
        // A checkpoint written for another stream stops us here, before anything is applied.
        try {
          await checkIdentity(db, name, await identity());
        } catch (err) {
          if (!(err instanceof CheckpointMismatchError) || !config.PROJECTION_REBUILD) throw err;
        }
        if (config.PROJECTION_REBUILD) {
          log.warn({ name }, 'PROJECTION_REBUILD: emptying the read models to build them again from the log');
          await resetReadModels(db, name, await identity());
        }
      } catch (err) {
        await db.destroy();
        throw err;
      }

      const batchSeconds = new Histogram({ name: 'chat_projection_batch_seconds', help: 'time to apply one batch', registers: [registry] });
      const positionGauge = new Gauge({ name: 'chat_projection_position', help: 'last stream sequence applied to the read models', registers: [registry] });
      const lagGauge = new Gauge({ name: 'chat_projection_lag', help: 'events in the log not yet applied to the read models', registers: [registry] });
      const activeGauge = new Gauge({ name: 'chat_projection_active', help: '1 when this copy is the one writing the read models', registers: [registry] });
      const deadLettered = new Counter({ name: 'chat_projection_dead_letters_total', help: 'events sent to the dead letters', registers: [registry] });

      let halted: Error | null = null;
      let haltWriter: (() => void) | null = null;
      /** Ends a halted copy's wait before it tries again (after a rebuild asked for here). */
      let retryNow: (() => void) | null = null;
      const writer = new Writer({
        nc,
        db,
        s,
        log,
        name,
        identity,
        lingerMs: config.PROJECTION_LINGER_MS,
        onBatch: (_applied, ms) => {
          batchSeconds.observe(ms / 1000);
          positionGauge.set(writer.position);
        },
        onDeadLetter: () => deadLettered.inc(),
        onHalt: (err) => {
          if (err instanceof CheckpointMismatchError) halted = err;
          haltWriter?.();
        },
      });

      // One copy writes; the others answer queries and take over when its lease lapses.
      const lease = new Lease(() => openLeaseBucket(nc, s, { replicas }), `projection.${name}`, nuid.next());
      const stopping = new AbortController();
      const stopped = new Promise<void>((r) => stopping.signal.addEventListener('abort', () => r()));
      const leading = (async () => {
        while (!stopping.signal.aborted) {
          const { lost } = await lease.acquire(stopping.signal);
          if (stopping.signal.aborted) break;
          const halt = new Promise<void>((r) => {
            haltWriter = r;
          });
          try {
            await writer.start();
            activeGauge.set(1);
            log.info({ name }, 'projection active');
            await Promise.race([lost, stopped, halt]);
          } catch (err) {
            halted = err instanceof Error ? err : new Error(String(err));
            log.error({ err }, 'projection cannot write its read models');
          }
          activeGauge.set(0);
          await writer.stop();
          if (halted) {
            // Nothing this copy can do until an operator acts (see the error); another copy may.
            await lease.release();
            await Promise.race([stopped, new Promise<void>((r) => (retryNow = r)), new Promise((r) => setTimeout(r, 30_000))]);
            retryNow = null;
            halted = null;
          } else if (!stopping.signal.aborted) {
            log.warn('projection lease lost; standing by');
          }
        }
      })();

      // Readiness: an active copy that does not move while the log grows cannot do its job.
      let lastPosition = -1;
      let progressAt = Date.now();
      let streamLast = 0;
      const lagTimer = setInterval(() => {
        void identity()
          .then((id) => {
            writer.noteStream(id);
            streamLast = id.lastSeq;
            if (writer.position !== lastPosition) {
              lastPosition = writer.position;
              progressAt = Date.now();
            }
            lagGauge.set(Math.max(0, streamLast - writer.position));
            positionGauge.set(writer.position);
          })
          .catch(() => undefined);
      }, LAG_EVERY_MS);
      lagTimer.unref();
      const stuck = () => writer.active && streamLast > writer.position && Date.now() - progressAt > STALL_MS;

      const queries = await serveQueries({ nc, s, db, writer, log, onRequest: observeRequest });
      deadLettered.inc(await deadLetters.count(db, name).catch(() => 0));
      return {
        checks: {
          postgres: async () => {
            await sql`SELECT 1`.execute(db);
            return true;
          },
          writer: () => halted === null && !stuck(),
        },
        extendOps: (app) => {
          app.get('/admin/lag', async () => {
            const last = (await identity()).lastSeq;
            return {
              active: writer.active,
              position: writer.position,
              stream_last_seq: last,
              lag: Math.max(0, last - writer.position),
              stuck: stuck(),
              error: halted?.message ?? null,
            };
          });
          app.get('/admin/dead-letters', async () => ({ dead_letters: await deadLetters.list(db, name) }));
          app.post('/admin/rebuild', async (_req, reply) => {
            if (writer.active) {
              await writer.stop();
              await resetReadModels(db, name, await identity());
              await writer.start();
              return reply.code(202).send({ status: 'rebuilding' });
            }
            // Halted because the read models belong to another stream (what the error says to do).
            if (halted instanceof CheckpointMismatchError) {
              await resetReadModels(db, name, await identity());
              halted = null;
              retryNow?.();
              return reply.code(202).send({ status: 'rebuilding' });
            }
            return reply.code(409).send({ error: { code: 'conflict', message: 'this copy is standing by; ask the active one' } });
          });
        },
        stop: async () => {
          clearInterval(lagTimer);
          await queries.stop();
          stopping.abort();
          await leading;
          await lease.release();
          await db.destroy();
        },
      };
    },
  });

if (isMainModule(import.meta.url)) void runMain('projection', () => start(process.env, { ownProcess: true }));
