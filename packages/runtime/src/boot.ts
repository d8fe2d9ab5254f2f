import { connectionUp, connectNats, ensureEventStream, jetstreamManager, provisionJetStream, type NatsConnection } from '@chat/bus';
import { subjects, type Subjects } from '@chat/contracts';
import type { FastifyInstance } from 'fastify';
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { z } from 'zod';
import { type baseConfig, loadConfig } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { createRegistry, startOpsServer, type ReadinessCheck } from './ops-server.ts';

export interface ServiceContext<C> {
  config: C;
  log: Logger;
  registry: Registry;
  nc: NatsConnection;
  s: Subjects;
  /** Copies of the event stream and of every bucket on a NATS cluster (`STREAM_REPLICAS`). */
  replicas: number;
  /** Records one handled request into `chat_rpc_seconds`. */
  observeRequest: (endpoint: string, ms: number, ok: boolean) => void;
}

export interface StartedService {
  stop(): Promise<unknown>;
  /** Whatever the service wants its caller to see (e.g. the port it listens on). */
  info?: Record<string, unknown>;
  checks?: Record<string, ReadinessCheck>;
  extendOps?: (app: FastifyInstance) => Promise<void> | void;
}

export interface BootedService<C> {
  config: C;
  log: Logger;
  opsPort: number;
  info: Record<string, unknown>;
  running: { stop(): Promise<void> };
}

/**
 * What every service does around its own work: config from the environment, logger, metrics,
 * NATS, the ops server; and the reverse on stop (the service first, then NATS drained).
 */
export async function bootService<S extends z.ZodObject>(opts: {
  name: string;
  schema: S;
  env?: NodeJS.ProcessEnv;
  start: (ctx: ServiceContext<z.output<S>>) => Promise<StartedService>;
  /** Where the ops server listens; `PORT` unless the service has a public port of its own. */
  opsPort?: (config: z.output<S>) => number;
  /**
   * Creates every stream and bucket of the namespace at start (see `provisionJetStream`): the
   * room and profile services, whose NATS users may. The others only make sure the log is there.
   */
  provision?: boolean;
}): Promise<BootedService<z.output<S>>> {
  const config = loadConfig(opts.schema, opts.env) as z.output<S> & z.output<ReturnType<typeof baseConfig>>;
  const log = createLogger(opts.name, config.LOG_LEVEL);
  const registry = createRegistry(opts.name);
  const latency = new Histogram({
    name: 'chat_rpc_seconds',
    help: 'time to handle a request',
    labelNames: ['endpoint', 'ok'],
    registers: [registry],
  });
  const nc = await connectNats(config.NATS_URL, { name: opts.name, log, user: config.NATS_USER, pass: config.NATS_PASSWORD });
  const natsUp = connectionUp(nc);
  // What an alert on a service cut off from NATS looks at (readiness says the same to the orchestrator).
  new Gauge({
    name: 'chat_nats_connected',
    help: '1 while the connection to NATS is up, 0 from a disconnect until the reconnect',
    registers: [registry],
    collect() {
      this.set(natsUp() ? 1 : 0);
    },
  });
  const s = subjects(config.CHAT_NAMESPACE);
  let service: StartedService;
  try {
    // Every service writes or follows the event log, so each makes sure it exists: the room and
    // profile services create it (and the buckets); the others wait for it when their NATS user
    // may not create streams.
    if (opts.provision) await provisionJetStream(nc, s, { replicas: config.STREAM_REPLICAS });
    else await ensureEventStream(await jetstreamManager(nc), s, { replicas: config.STREAM_REPLICAS });
    service = await opts.start({
      config,
      log,
      registry,
      nc,
      s,
      replicas: config.STREAM_REPLICAS,
      observeRequest: (endpoint, ms, ok) => latency.observe({ endpoint, ok: String(ok) }, ms / 1000),
    });
  } catch (err) {
    await nc.close();
    throw err;
  }
  const ops = await startOpsServer({
    service: opts.name,
    host: config.HOST,
    port: opts.opsPort ? opts.opsPort(config) : config.PORT,
    log,
    registry,
    checks: { nats: natsUp, ...service.checks },
    extend: service.extendOps,
    adminToken: config.OPS_ADMIN_TOKEN,
  });
  log.info({ opsPort: ops.port, namespace: config.CHAT_NAMESPACE }, `${opts.name} service ready`);
  return {
    config,
    log,
    opsPort: ops.port,
    info: service.info ?? {},
    running: {
      async stop() {
        await service.stop();
        if (!nc.isClosed()) await nc.drain();
        await ops.close();
      },
    },
  };
}
