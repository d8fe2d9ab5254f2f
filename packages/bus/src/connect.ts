import type { Logger } from 'pino';
import { connect, type NatsConnection } from './nats.ts';

/** A server a service needs is not there: one line that says which, where, and what to do. */
export class UnreachableError extends Error {
  constructor(what: string, url: string, hint: string, cause: unknown) {
    super(`${what} is not reachable at ${redactUrl(url)} (${cause instanceof Error ? cause.message : String(cause)}); ${hint}`);
    this.name = 'UnreachableError';
  }
}

const LOCAL = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** What to do about a NATS that does not answer, for the address configured. */
export function natsHint(url: string): string {
  const first = url.split(',')[0] ?? '';
  let host = '127.0.0.1';
  let port = '4222';
  try {
    const u = new URL(first.includes('://') ? first : `nats://${first}`);
    host = u.hostname || host;
    port = u.port || port;
  } catch {
    return `check NATS_URL (${first})`;
  }
  return LOCAL.has(host)
    ? `start it with: start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a ${host} -p ${port} -js -sd /var/lib/nats-server -l /var/log/nats-server.log`
    : `check that nats-server (with -js) runs on ${host}:${port} and that this machine can reach it, or set NATS_URL`;
}

/** A server list with any `user:password@` taken out, for messages and logs. */
export const redactUrl = (url: string): string => url.replace(/\/\/[^/@,]*@/g, '//[redacted]@');

/**
 * Where a user's replies arrive: `_INBOX_<user>`, so that its NATS permissions can let it read its
 * own replies and nobody else's (infra/nats/auth.conf). Without a user, the default `_INBOX`.
 */
export const inboxPrefixFor = (user: string | undefined): string | undefined => (user ? `_INBOX_${user}` : undefined);

export interface NatsOptions {
  /** A connection name, shown by the server's monitoring. */
  name: string;
  log?: Logger | undefined;
  /** The service's own NATS user (NATS_USER) and password; unset: no authentication. */
  user?: string | undefined;
  pass?: string | undefined;
}

/**
 * Connects with endless reconnects (a NATS restart must not kill a service), logging status
 * changes. With a user, replies come to that user's own inbox prefix (see `inboxPrefixFor`).
 */
export async function connectNats(url: string, opts: NatsOptions): Promise<NatsConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: url.split(','),
      name: opts.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: 3000,
      // Without this, every request (a call, a JetStream publish) builds an Error up front to keep
      // the caller's stack for a timeout that almost never comes: about a tenth of a busy caller's CPU.
      noAsyncTraces: true,
      ...(opts.user ? { user: opts.user, pass: opts.pass ?? '', inboxPrefix: inboxPrefixFor(opts.user) } : {}),
    });
  } catch (err) {
    if (/authorization|authentication/i.test(String((err as Error)?.message ?? err))) {
      const who = opts.user ? `user ${opts.user}` : 'a client without credentials';
      throw new UnreachableError('NATS', url, `the server refused ${who}: check NATS_USER and NATS_PASSWORD`, err);
    }
    throw new UnreachableError('NATS', url, natsHint(url), err);
  }
  const log = opts.log;
  if (log) {
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'ping') continue;
        const level = status.type === 'disconnect' || status.type === 'error' || status.type === 'slowConsumer' ? 'warn' : 'info';
        // An error status carries what the server refused (e.g. a permissions violation: the subject).
        const error = status.type === 'error' ? status.error.message : undefined;
        log[level]({ nats: status.type, server: 'server' in status ? status.server : undefined, error }, 'nats status');
      }
    })();
  }
  return nc;
}

/**
 * Whether `nc` can be used now (readiness): false from a disconnect until the reconnect, and once
 * closed or draining. A service that has lost its server cannot do its job, however briefly.
 */
export function connectionUp(nc: NatsConnection): () => boolean {
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') connected = false;
      else if (status.type === 'reconnect') connected = true;
    }
  })().catch(() => undefined);
  return () => connected && !nc.isClosed() && !nc.isDraining();
}
