import net from 'node:net';
import { connect, jetstreamManager, nuid } from '@chat/bus';
import pg from 'pg';

export interface TestEnv {
  natsUrl: string;
  /** A database of its own, dropped by `cleanup`. */
  databaseUrl: string;
  /** A namespace of its own: its own stream and subjects. */
  namespace: string;
  cleanup(): Promise<void>;
}

const LOCAL_NATS = 'nats://127.0.0.1:4222';
const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

const answers = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 5000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });

let nats: Promise<string> | undefined;
let postgres: Promise<string> | undefined;

/**
 * Where the real servers are: `NATS_URL` / `DATABASE_URL` when set, else the local ones when they
 * answer, else containers started with testcontainers (needs Docker). Found once per test process,
 * each only when a test needs it.
 */
const findNats = (): Promise<string> =>
  (nats ??= (async () => process.env.NATS_URL || ((await answers('127.0.0.1', 4222)) ? LOCAL_NATS : await startNatsContainer()))());
const findPostgres = (): Promise<string> =>
  (postgres ??= (async () => process.env.DATABASE_URL || ((await answers('127.0.0.1', 5432)) ? LOCAL_POSTGRES : await startPostgresContainer()))());

async function startNatsContainer(): Promise<string> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('nats:2.10-alpine')
    .withCommand(['-js'])
    .withExposedPorts(4222)
    .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
    .start();
  return `nats://${container.getHost()}:${container.getMappedPort(4222)}`;
}

async function startPostgresContainer(): Promise<string> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:15-alpine').start();
  return container.getConnectionUri();
}

const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

/**
 * A namespace and database of their own, on the given servers or on those found by `findNats` and `findPostgres`
 * (a NATS server of the test's own with the machine's Postgres, say). `namespace` is for a NATS
 * server of the test's own whose permissions name one (infra/nats/auth.conf: `chat`); `natsAuth`
 * is the user that cleans up there.
 */
export async function createTestEnv(
  servers?: { natsUrl?: string; postgresUrl?: string },
  opts: { namespace?: string; natsAuth?: { user: string; pass: string } } = {},
): Promise<TestEnv> {
  const natsUrl = servers?.natsUrl ?? (await findNats());
  const postgresUrl = servers?.postgresUrl ?? (await findPostgres());
  const id = nuid.next().toLowerCase();
  const namespace = opts.namespace ?? `t${id.slice(-12)}`;
  const dbName = `chat_test_${id}`;
  const admin = new pg.Client({ connectionString: withDatabase(postgresUrl, 'postgres') });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(
      `tests need PostgreSQL at ${postgresUrl}: ${String(err)}\n  start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
    );
  }
  await admin.query(`CREATE DATABASE "${dbName}"`);
  await admin.end();
  return {
    natsUrl,
    databaseUrl: withDatabase(postgresUrl, dbName),
    namespace,
    async cleanup() {
      // A test that killed its own servers has nothing left to clean there.
      const nc = await connect({ servers: natsUrl, timeout: 2000, reconnect: false, ...opts.natsAuth }).catch(() => null);
      if (nc) {
        try {
          const jsm = await jetstreamManager(nc);
          const stream = `CHAT_${namespace.toUpperCase().replace(/-/g, '_')}`;
          // The event log, the object store where the gateway stages avatar uploads, the buckets.
          const bucket = namespace.replace(/-/g, '_');
          for (const name of [stream, `OBJ_${stream}_UPLOADS`, `KV_leases_${bucket}`, `KV_presence_${bucket}`]) {
            await jsm.streams.delete(name).catch(() => undefined);
          }
        } finally {
          await nc.close();
        }
      }
      const client = new pg.Client({ connectionString: withDatabase(postgresUrl, 'postgres'), connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      } catch {
        // The test's own Postgres may be gone already.
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}
