import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from './logger.ts';

export type ReadinessCheck = () => Promise<boolean> | boolean;

export interface OpsOptions {
  service: string;
  checks: Record<string, ReadinessCheck>;
  registry: Registry;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

/** Liveness, readiness and Prometheus metrics: the same three routes on every service. */
export const opsPlugin = fp<OpsOptions>(
  async (app, opts) => {
    app.decorate('metrics', opts.registry);
    app.get('/healthz', async () => ({ status: 'ok', service: opts.service }));
    app.get('/readyz', async (_req, reply) => {
      const results: Record<string, boolean> = {};
      for (const [name, check] of Object.entries(opts.checks)) {
        try {
          results[name] = await check();
        } catch {
          results[name] = false;
        }
      }
      const ready = Object.values(results).every(Boolean);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: results });
    });
    app.get('/metrics', async (_req, reply) => {
      reply.header('content-type', opts.registry.contentType);
      return opts.registry.metrics();
    });
  },
  { name: 'ops', fastify: '5.x' },
);

export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

export interface OpsServer {
  app: FastifyInstance;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts the ops server. `extend` registers the service's own admin routes; one error handler
 * logs the whole error and tells the client only what is safe.
 */
export async function startOpsServer(
  opts: OpsOptions & {
    host: string;
    port: number;
    log: Logger;
    extend?: (app: FastifyInstance) => Promise<void> | void;
    /** Required as a bearer token on /admin routes when set. */
    adminToken?: string | undefined;
  },
): Promise<OpsServer> {
  // Request lines only at warn and above: probes and scrapes would drown everything else.
  const app = Fastify({ loggerInstance: opts.log.child({ component: 'ops' }, { level: 'warn' }) as FastifyBaseLogger });
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'ops request failed');
    return reply.code(status).send({
      error: { code: status >= 500 ? 'internal' : 'bad_request', message: status >= 500 ? 'internal error' : error.message },
    });
  });
  await app.register(opsPlugin, { service: opts.service, checks: opts.checks, registry: opts.registry });
  if (opts.adminToken) {
    const expected = Buffer.from(`Bearer ${opts.adminToken}`);
    app.addHook('onRequest', async (request, reply) => {
      // Decided on the route the router matched, never on the raw path: `/%61dmin/…` is `/admin/…`.
      const route = request.routeOptions.url ?? '';
      if (route.startsWith('/admin') && !sameSecret(request.headers.authorization, expected)) {
        return reply.code(401).send({ error: { code: 'unauthorized', message: 'admin routes need the ops admin token' } });
      }
    });
  }
  if (opts.extend) await opts.extend(app);
  await app.listen({ host: opts.host, port: opts.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return { app, port, close: () => app.close() };
}

function sameSecret(given: string | undefined, expected: Buffer): boolean {
  const bytes = Buffer.from(given ?? '');
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
}
