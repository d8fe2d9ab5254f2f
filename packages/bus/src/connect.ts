import type { Logger } from 'pino';
import { connect, type NatsConnection } from './nats.ts';

export class UnreachableError extends Error {
  constructor(what: string, url: string, hint: string, cause: unknown) {
    super(`${what} is not reachable at ${url}: ${cause instanceof Error ? cause.message : String(cause)}\n  ${hint}`);
    this.name = 'UnreachableError';
  }
}

export const NATS_HINT =
  'start it with: start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log';

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
    throw new UnreachableError('NATS', url, NATS_HINT, err);
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
