import { ConfigError, Counter, Gauge, Histogram, baseConfig, bootService, isMainModule, runMain } from '@chat/runtime';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DEFAULT_CREATION_LIMITS } from './edge/rate-limits.ts';
import { DEFAULT_AVATAR_CACHE_BYTES, startGateway } from './gateway.ts';
import { loadStaticSite } from './static-site.ts';

/** The web app's Vite build in this repository, served when it has been built. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../../apps/web/dist', import.meta.url));

export const gatewayConfig = baseConfig(8080, { signsTokens: true }).extend({
  OPS_PORT: z.coerce.number().int().min(0).max(65535).default(9080),
  /** Comma-separated browser origins allowed to use the API (exact match); unset: any. */
  ALLOWED_ORIGINS: z.string().optional(),
  MAX_SOCKETS_PER_USER: z.coerce.number().int().min(1).max(1000).default(16),
  /** Sustained rates per user on one gateway; bursts of twice as many pass. */
  POSTS_PER_SECOND: z.coerce.number().positive().max(100_000).default(10),
  FRAMES_PER_SECOND: z.coerce.number().positive().max(100_000).default(30),
  /** Memory for hot avatar images; 0 turns the cache off. */
  AVATAR_CACHE_BYTES: z.coerce.number().int().min(0).default(DEFAULT_AVATAR_CACHE_BYTES),
  /** The built web app to serve at `/`; unset: apps/web/dist if it is built; empty: none. */
  WEB_ROOT: z.string().optional(),
  /** An identity provider whose JWTs are accepted besides ours: its key set, the `iss` and (optionally) `aud` its tokens carry. */
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  /** Comma-separated addresses of proxies in front of the gateway, whose X-Forwarded-For is believed. */
  TRUST_PROXY: z.string().default(''),
  /** Creation limits (per minute): sign-ups per client address; rooms, joins and uploads per user. */
  SIGNUPS_PER_MINUTE: z.coerce.number().positive().max(1_000_000).default(DEFAULT_CREATION_LIMITS.signupsPerMinute),
  ROOMS_PER_MINUTE: z.coerce.number().positive().max(1_000_000).default(DEFAULT_CREATION_LIMITS.roomsPerMinute),
  JOINS_PER_MINUTE: z.coerce.number().positive().max(1_000_000).default(DEFAULT_CREATION_LIMITS.joinsPerMinute),
  UPLOADS_PER_MINUTE: z.coerce.number().positive().max(1_000_000).default(DEFAULT_CREATION_LIMITS.uploadsPerMinute),
  /** AUTH_MODE=open on an address other than loopback: anyone could act as anyone. Say so to allow it. */
  OPEN_MODE_PUBLIC: z
    .enum(['true', 'false', ''])
    .default('false')
    .transform((v) => v === 'true'),
});

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Open mode lets anyone act as anyone (the seed's contract, for trusted networks): refused on an
 * address others can reach unless OPEN_MODE_PUBLIC=true says it is meant, and loud either way.
 */
export function checkOpenMode(config: { AUTH_MODE: string; HOST: string; OPEN_MODE_PUBLIC: boolean }, log: { warn: (o: object, m: string) => void }): void {
  if (config.AUTH_MODE !== 'open') return;
  if (!LOOPBACK.has(config.HOST) && !config.OPEN_MODE_PUBLIC) {
    throw new ConfigError([
      `AUTH_MODE=open lets any client act as any user; refusing to listen on ${config.HOST}. Listen on 127.0.0.1, use AUTH_MODE=token, or set OPEN_MODE_PUBLIC=true if this is really meant`,
    ]);
  }
  log.warn(
    { host: config.HOST },
    'AUTH_MODE=open: NO AUTHENTICATION. Any client can act as any user (the seed frontend contract). Use only on a trusted network.',
  );
}

export const start = (env: NodeJS.ProcessEnv = process.env) =>
  bootService({
    name: 'gateway',
    schema: gatewayConfig,
    env,
    opsPort: (config) => config.OPS_PORT,
    start: async ({ config, nc, s, log, registry, replicas }) => {
      checkOpenMode(config, log);
      const webRoot = config.WEB_ROOT ?? DEFAULT_WEB_ROOT;
      const site = webRoot ? loadStaticSite(webRoot) : null;
      if (config.WEB_ROOT && !site) throw new Error(`WEB_ROOT=${config.WEB_ROOT} holds no index.html (build the app with pnpm --filter @chat/web build)`);
      if (site) log.info({ webRoot, files: site.files.size }, 'serving the web app at /');
      else if (webRoot && !existsSync(webRoot)) log.warn({ webRoot }, 'the web app is not built; / answers 404 (pnpm --filter @chat/web build)');
      const sockets = new Gauge({ name: 'chat_ws_sockets', help: 'open WebSockets', registers: [registry] });
      const frames = new Counter({ name: 'chat_ws_frames_total', help: 'client frames received', labelNames: ['type'], registers: [registry] });
      const http = new Histogram({ name: 'chat_http_seconds', help: 'HTTP request time', labelNames: ['route', 'status'], registers: [registry] });
      const slow = new Counter({ name: 'chat_ws_slow_closed_total', help: 'sockets closed with 1013 for falling behind', registers: [registry] });
      const refused = new Counter({
        name: 'chat_refused_total',
        help: 'requests and upgrades refused, by reason (the error code)',
        labelNames: ['reason'],
        registers: [registry],
      });
      const authFailures = new Counter({ name: 'chat_auth_failures_total', help: 'requests and upgrades without a valid session', registers: [registry] });
      const delivered = new Counter({ name: 'chat_ws_frames_delivered_total', help: 'live frames handed to sockets', registers: [registry] });
      const gateway = await startGateway({
        nc,
        s,
        log,
        replicas,
        host: config.HOST,
        port: config.PORT,
        mode: config.AUTH_MODE,
        secret: config.AUTH_SECRET,
        provider: { jwksUrl: config.AUTH_JWKS_URL, issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE },
        allowedOrigins: config.ALLOWED_ORIGINS,
        trustedProxies: config.TRUST_PROXY.split(',')
          .map((a) => a.trim())
          .filter(Boolean),
        creation: {
          signupsPerMinute: config.SIGNUPS_PER_MINUTE,
          roomsPerMinute: config.ROOMS_PER_MINUTE,
          joinsPerMinute: config.JOINS_PER_MINUTE,
          uploadsPerMinute: config.UPLOADS_PER_MINUTE,
        },
        site,
        limits: { maxSocketsPerUser: config.MAX_SOCKETS_PER_USER, postsPerSecond: config.POSTS_PER_SECOND, framesPerSecond: config.FRAMES_PER_SECOND },
        avatarCacheBytes: config.AVATAR_CACHE_BYTES,
        metrics: {
          slowSocket: () => slow.inc(),
          refused: (reason) => {
            refused.inc({ reason });
            if (reason === 'unauthorized') authFailures.inc();
          },
          delivered: (n) => delivered.inc(n),
          opened: () => sockets.inc(),
          closed: () => sockets.dec(),
          frame: (type) => frames.inc({ type }),
          response: (route, status, ms) => http.observe({ route, status: String(status) }, ms / 1000),
        },
      });
      return { stop: () => gateway.stop(), info: { port: gateway.port }, checks: { live_feed: () => gateway.ready() } };
    },
  });

if (isMainModule(import.meta.url)) void runMain('gateway', start);
