import { Counter, Gauge, Histogram, baseConfig, bootService, runMain } from '@chat/runtime';
import { z } from 'zod';
import { DEFAULT_AVATAR_CACHE_BYTES, startGateway } from './gateway.ts';

export const gatewayConfig = baseConfig(8080).extend({
  OPS_PORT: z.coerce.number().int().min(0).max(65535).default(9080),
  /** Memory for hot avatar images; 0 turns the cache off. */
  AVATAR_CACHE_BYTES: z.coerce.number().int().min(0).default(DEFAULT_AVATAR_CACHE_BYTES),
});

export const start = (env: NodeJS.ProcessEnv = process.env) =>
  bootService({
    name: 'gateway',
    schema: gatewayConfig,
    env,
    opsPort: (config) => config.OPS_PORT,
    start: async ({ config, nc, s, log, registry }) => {
      const sockets = new Gauge({ name: 'chat_ws_sockets', help: 'open WebSockets', registers: [registry] });
      const frames = new Counter({ name: 'chat_ws_frames_total', help: 'client frames received', labelNames: ['type'], registers: [registry] });
      const http = new Histogram({ name: 'chat_http_seconds', help: 'HTTP request time', labelNames: ['route', 'status'], registers: [registry] });
      const gateway = await startGateway({
        nc,
        s,
        log,
        host: config.HOST,
        port: config.PORT,
        mode: config.AUTH_MODE,
        secret: config.AUTH_SECRET,
        avatarCacheBytes: config.AVATAR_CACHE_BYTES,
        metrics: {
          opened: () => sockets.inc(),
          closed: () => sockets.dec(),
          frame: (type) => frames.inc({ type }),
          response: (route, status, ms) => http.observe({ route, status: String(status) }, ms / 1000),
        },
      });
      return { stop: () => gateway.stop(), info: { port: gateway.port } };
    },
  });

if (import.meta.url === `file://${process.argv[1]}`) void runMain('gateway', start);
