import { connect, type NatsConnection } from 'nats';
import type { Logger } from 'pino';

export class UnreachableError extends Error {
  constructor(what: string, url: string, hint: string, cause: unknown) {
    super(`${what} is not reachable at ${url}: ${cause instanceof Error ? cause.message : String(cause)}\n  ${hint}`);
    this.name = 'UnreachableError';
  }
}

export const NATS_HINT =
  'start it with: start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log';

/** Connects with endless reconnects (a NATS restart must not kill a service), logging status changes. */
export async function connectNats(url: string, name: string, log?: Logger): Promise<NatsConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: url.split(','), name, maxReconnectAttempts: -1, reconnectTimeWait: 500, timeout: 3000 });
  } catch (err) {
    throw new UnreachableError('NATS', url, NATS_HINT, err);
  }
  if (log) {
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'pingTimer') continue;
        log.info({ nats: status.type, data: typeof status.data === 'string' ? status.data : undefined }, 'nats status');
      }
    })();
  }
  return nc;
}
