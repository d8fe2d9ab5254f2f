import { Kysely, PostgresDialect, Migrator, type Migration, type MigrationProvider } from 'kysely';
import pg from 'pg';

/** What to do about a Postgres that does not answer, for the address configured. */
export function postgresHint(url: string): string {
  let host = '127.0.0.1';
  let port = '5432';
  try {
    const u = new URL(url);
    host = u.hostname || host;
    port = u.port || port;
  } catch {
    return 'check DATABASE_URL';
  }
  return ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)
    ? `start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (it should listen on ${host}:${port})`
    : `check that PostgreSQL runs on ${host}:${port} and that this machine can reach it, or set DATABASE_URL`;
}

// BIGINT (stream sequences) as JS numbers: sequences stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export class DatabaseUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    super(`PostgreSQL is not reachable at ${redactUrl(url)} (${cause instanceof Error ? cause.message : String(cause)}); ${postgresHint(url)}`);
    this.name = 'DatabaseUnreachableError';
  }
}

export const redactUrl = (url: string): string => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name)) throw new Error(`DATABASE_URL must name a database (got "${name}")`);
  return name;
}

/** Creates the database named in `url` when it is missing (connecting to the `postgres` one to do so). */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (err) {
    throw new DatabaseUnreachableError(url, err);
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } catch (err) {
        // Another service created it at the same moment.
        if ((err as { code?: string }).code !== '42P04' && (err as { code?: string }).code !== '23505') throw err;
      }
    }
  } finally {
    await client.end();
  }
}

export interface DbOptions {
  poolSize?: number;
  /**
   * Sessions left idle inside a transaction (a paused or hung process) are ended by the server
   * after this long, so their locks cannot hold up the copy that took over.
   */
  idleInTransactionMs?: number;
  /** Told of a connection the server ended (a restart, `pg_terminate_backend`); the pool replaces it. */
  onConnectionError?: (err: Error) => void;
}

export function createDb<DB>(url: string, opts: DbOptions = {}): Kysely<DB> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    ...(opts.idleInTransactionMs ? { options: `-c idle_in_transaction_session_timeout=${opts.idleInTransactionMs}` } : {}),
  });
  const lost = (err: Error) => opts.onConnectionError?.(err);
  // An idle client that loses its connection is reported on the pool; the pool replaces it.
  pool.on('error', lost);
  // A client checked out (between two queries of a transaction, say) reports it on itself, and an
  // 'error' event nobody listens to ends the process. Its query fails; the pool drops it on release.
  pool.on('connect', (client) => client.on('error', lost));
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

/** Runs a service's migrations (code, not files) in its own schema, with its own bookkeeping tables. */
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not follow today's table types
export async function migrateToLatest(db: Kysely<any>, schema: string, migrations: Record<string, Migration>): Promise<void> {
  await db.schema.createSchema(schema).ifNotExists().execute();
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const migrator = new Migrator({ db, provider, migrationTableSchema: schema });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`migration ${failed?.migrationName ?? ''} in schema ${schema} failed: ${String(error)}`);
  }
}
