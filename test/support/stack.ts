import { start as startGateway } from '@chat/gateway';
import { start as startProfile } from '@chat/profile';
import { start as startProjection } from '@chat/projection';
import { start as startRoom } from '@chat/room';
import { call, connect, type NatsConnection } from '@chat/bus';
import { subjects, type Subjects } from '@chat/contracts';
import { createTestEnv, eventually, type TestEnv } from '@chat/testkit';
import pg from 'pg';

export const TEST_SECRET = 'test-secret-that-is-at-least-32-characters';

/** Tests post and sign up faster than people do, all from 127.0.0.1; the limit tests set their own. */
export const GENEROUS_LIMITS = {
  POSTS_PER_SECOND: '1000',
  FRAMES_PER_SECOND: '1000',
  SIGNUPS_PER_MINUTE: '100000',
  ROOMS_PER_MINUTE: '100000',
  JOINS_PER_MINUTE: '100000',
  UPLOADS_PER_MINUTE: '100000',
};

type Running = { running: { stop(): Promise<void> } };

export type NatsUser = 'room' | 'profile' | 'projection' | 'gateway' | 'test';
export interface NatsCredentials {
  user: string;
  pass: string;
}

export interface Stack {
  env: TestEnv;
  /** A NATS connection of the test's own, for what a test does behind the gateway's back. */
  nc: NatsConnection;
  s: Subjects;
  /**
   * Posts `count` messages `${prefix}${i}` (with `client_msg_id` the same) straight to the room
   * service, `parallel` at a time: load without the gateway's rate limits in the way.
   */
  postDirect(userId: string, roomId: string, opts: { count: number; prefix: string; parallel?: number; content?: (i: number) => string }): Promise<void>;
  url: string;
  wsUrl: string;
  mode: 'token' | 'open';
  projectionOpsUrl: string;
  gatewayOpsUrl: string;
  envFor(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** One more gateway (with the stack's gateway settings and NATS user), stopped with the stack. */
  startGateway(extra?: Record<string, string>): Promise<{ url: string; wsUrl: string; stop(): Promise<void> }>;
  startProjection(extra?: Record<string, string>): Promise<{ stop(): Promise<void>; opsUrl: string }>;
  stopProjection(): Promise<void>;
  /**
   * Loses read models (stops the projection and empties `tables`), rebuilds them from the log
   * alone with a fresh projection, and waits (20 s at most) until `check` passes on what it built.
   */
  rebuildFromLog(tables: string[], check: () => Promise<unknown>, what: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole system in this process against the real NATS and Postgres, in a namespace and
 * database of its own: `rooms` copies of the room service, one profile, projection and gateway.
 */
export async function startStack(
  opts: {
    mode?: 'token' | 'open';
    rooms?: number;
    gatewayEnv?: Record<string, string>;
    projectionEnv?: Record<string, string>;
    /** Servers of the test's own (see `servers.ts`) instead of the machine's. */
    servers?: { natsUrl?: string; postgresUrl?: string };
    /** Services the test runs itself (in a process of their own, say). */
    without?: 'profile'[];
    /** The namespace, when the NATS server's permissions name one (see `createTestEnv`). */
    namespace?: string;
    /** Each service's NATS user (NATS_USER / NATS_PASSWORD), and the test's own connection's. */
    natsAuth?: Partial<Record<NatsUser, NatsCredentials>>;
  } = {},
): Promise<Stack> {
  const auth = opts.natsAuth ?? {};
  const env = await createTestEnv(opts.servers, { namespace: opts.namespace, natsAuth: auth.test });
  const mode = opts.mode ?? 'token';
  const envFor = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    NATS_URL: env.natsUrl,
    DATABASE_URL: env.databaseUrl,
    CHAT_NAMESPACE: env.namespace,
    PORT: '0',
    OPS_PORT: '0',
    AUTH_MODE: mode,
    AUTH_SECRET: TEST_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...extra,
  });
  const serviceEnv = (user: NatsUser, extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
    const creds = auth[user];
    return envFor({ ...(creds ? { NATS_USER: creds.user, NATS_PASSWORD: creds.pass } : {}), ...extra });
  };
  const services: Running[] = [];
  for (let i = 0; i < (opts.rooms ?? 1); i++) services.push(await startRoom(serviceEnv('room')));
  if (!opts.without?.includes('profile')) services.push(await startProfile(serviceEnv('profile')));
  let projection: (Running & { opsPort: number }) | null = await startProjection(serviceEnv('projection', opts.projectionEnv));
  // Tests post faster than people do; the rate-limit tests set their own limits.
  const gatewayEnv = { ...GENEROUS_LIMITS, ...opts.gatewayEnv };
  const gateway = await startGateway(serviceEnv('gateway', gatewayEnv));
  services.push(gateway);
  const port = gateway.info.port as number;
  const nc = await connect({ servers: env.natsUrl, ...auth.test });
  const s = subjects(env.namespace);
  const stack: Stack = {
    env,
    nc,
    s,
    async postDirect(userId, roomId, { count, prefix, parallel = 10, content = (i) => `${prefix}${i}` }) {
      let next = 0;
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          while (next < count) {
            const i = next++;
            await call(nc, s, 'postMessage', { room_id: roomId, user_id: userId, content: content(i), client_msg_id: `${prefix}${i}` });
          }
        }),
      );
    },
    mode,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    projectionOpsUrl: `http://127.0.0.1:${projection.opsPort}`,
    gatewayOpsUrl: `http://127.0.0.1:${gateway.opsPort}`,
    envFor,
    async startGateway(extra = {}) {
      const g = await startGateway(serviceEnv('gateway', { ...gatewayEnv, ...extra }));
      services.push(g);
      const port = g.info.port as number;
      return { url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}`, stop: () => g.running.stop() };
    },
    async startProjection(extra = {}) {
      const p = await startProjection(serviceEnv('projection', extra));
      return { stop: () => p.running.stop(), opsUrl: `http://127.0.0.1:${p.opsPort}` };
    },
    async stopProjection() {
      await projection?.running.stop();
      projection = null;
    },
    async rebuildFromLog(tables, check, what) {
      await this.stopProjection();
      const db = new pg.Client({ connectionString: env.databaseUrl });
      await db.connect();
      try {
        await db.query(`TRUNCATE ${tables.map((t) => `projection.${t}`).join(', ')}`);
      } finally {
        await db.end();
      }
      const rebuilt = await this.startProjection({ PROJECTION_REBUILD: 'true' });
      try {
        await eventually(
          async () => {
            await check();
            return true;
          },
          what,
          20_000,
        );
      } finally {
        await rebuilt.stop();
      }
    },
    async stop() {
      await nc.close();
      for (const s of [...services].reverse()) await s.running.stop().catch(() => undefined);
      await projection?.running.stop().catch(() => undefined);
      await env.cleanup();
    },
  };
  return stack;
}
