import type { Logger } from 'pino';
import { connect, type NatsConnection } from './nats.ts';

/** A server a service needs is not there: one line that says which, where, and what to do. */
export class UnreachableError extends Error {
  constructor(what: string, url: string, hint: string, cause: unknown) {
    super(`${what} is not reachable at ${url} (${cause instanceof Error ? cause.message : String(cause)}); ${hint}`);
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

export interface NatsOptions {
  /** A connection name, shown by the server's monitoring. */
  name: string;
  log?: Logger | undefined;
  user?: string | undefined;
  pass?: string | undefined;
}

/** Connects with endless reconnects (a NATS restart must not kill a service), logging status changes. */
export async function connectNats(url: string, opts: NatsOptions): Promise<NatsConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: url.split(','),
      name: opts.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: 3000,
      ...(opts.user ? { user: opts.user, pass: opts.pass ?? '' } : {}),
    });
  } catch (err) {
    throw new UnreachableError('NATS', url, natsHint(url), err);
  }
  const log = opts.log;
  if (log) {
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'ping') continue;
        const level = status.type === 'disconnect' || status.type === 'error' || status.type === 'slowConsumer' ? 'warn' : 'info';
        log[level]({ nats: status.type, server: 'server' in status ? status.server : undefined }, 'nats status');
      }
    })();
  }
  return nc;
}
