import { AppError, Reply, Rpc, isAppError, validationError, type RpcName, type Subjects } from '@chat/contracts';
import { Svcm, type Service, type ServiceMsg } from '@nats-io/services';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { isTransient } from './errors.ts';
import { RequestError, headers as natsHeaders, nuid, type Msg, type NatsConnection } from './nats.ts';

export type { Service };

const encoder = new TextEncoder();
const DEFAULT_TIMEOUT_MS = 5000;
const decoder = new TextDecoder();
export const CORRELATION_HEADER = 'Chat-Correlation-Id';
/** When the caller stops waiting for the answer (ms since the epoch): work past it is wasted. */
export const DEADLINE_HEADER = 'Chat-Deadline';

export interface RequestContext {
  correlationId: string;
  /** When the caller gives up (ms since the epoch). */
  deadline: number;
}

type Request<N extends RpcName> = z.output<(typeof Rpc)[N]['request']>;
type Result<N extends RpcName> = z.input<(typeof Rpc)[N]['reply']>;
export type Handlers = { [K in RpcName]: (req: Request<K>, ctx: RequestContext) => Promise<Result<K>> };

function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    throw new AppError('bad_request', 'request is not valid JSON');
  }
}

/**
 * Serves endpoints of `Rpc` as a NATS service in a queue group, so any number of copies share the
 * load. Requests are validated before the handler runs; every outcome is a `Reply` envelope.
 */
export async function serveRpc(
  nc: NatsConnection,
  s: Subjects,
  service: {
    name: string;
    version: string;
    log: Logger;
    onRequest?: (name: RpcName, ms: number, ok: boolean) => void;
    /** The service's own "not now" failures besides NATS's (its database away): answered `unavailable` (503), not `internal`. */
    transient?: (err: unknown) => boolean;
  },
  handlers: Partial<Handlers>,
): Promise<Service> {
  // The services package carries its own copy of the core client's types; the connection is the same object.
  const srv = await new Svcm(nc as unknown as ConstructorParameters<typeof Svcm>[0]).add({
    name: service.name,
    version: service.version,
    queue: `${s.ns}-${service.name}`,
  });
  for (const name of Object.keys(handlers) as RpcName[]) {
    const endpoint = Rpc[name];
    const handler = handlers[name] as (req: unknown, ctx: RequestContext) => Promise<unknown>;
    srv.addEndpoint(name, {
      subject: s.rpc[name],
      handler: (err: Error | null, msg: ServiceMsg) => {
        if (err) {
          service.log.error({ err, endpoint: name }, 'endpoint subscription failed');
          return;
        }
        const started = performance.now();
        const correlationId = msg.headers?.get(CORRELATION_HEADER) || nuid.next();
        const deadline = Number(msg.headers?.get(DEADLINE_HEADER)) || Date.now() + DEFAULT_TIMEOUT_MS;
        void (async () => {
          let reply: z.infer<typeof Reply>;
          try {
            const parsed = endpoint.request.safeParse(parseJson(msg.data));
            if (!parsed.success) throw validationError(parsed.error, 'request');
            const data = await handler(parsed.data, { correlationId, deadline });
            reply = { ok: true, data };
          } catch (e) {
            const error = isAppError(e)
              ? e.toBody()
              : isTransient(e) || service.transient?.(e)
                ? { code: 'unavailable' as const, message: `${name} could not reach what it needs; try again` }
                : { code: 'internal' as const, message: 'internal error' };
            if (error.code === 'internal' || error.code === 'unavailable') service.log.error({ err: e, endpoint: name, correlationId }, 'handler failed');
            reply = { ok: false, error };
          }
          service.onRequest?.(name, performance.now() - started, reply.ok);
          msg.respond(encoder.encode(JSON.stringify(reply)));
        })();
      },
    });
  }
  return srv;
}

export interface CallOptions {
  timeoutMs?: number;
  correlationId?: string;
}

/** Calls an endpoint; returns its validated result or throws the AppError it answered with. */
export async function call<N extends RpcName>(
  nc: NatsConnection,
  s: Subjects,
  name: N,
  request: z.input<(typeof Rpc)[N]['request']>,
  opts: CallOptions = {},
): Promise<z.output<(typeof Rpc)[N]['reply']>> {
  const h = natsHeaders();
  h.set(CORRELATION_HEADER, opts.correlationId ?? nuid.next());
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  h.set(DEADLINE_HEADER, String(Date.now() + timeout));
  let msg: Msg;
  try {
    msg = await nc.request(s.rpc[name], encoder.encode(JSON.stringify(request)), { timeout, headers: h });
  } catch (err) {
    if (err instanceof RequestError && err.isNoResponders()) throw new AppError('unavailable', `no ${name} service is running`);
    if (isTransient(err)) throw new AppError('unavailable', `${name} did not answer in time`);
    throw err;
  }
  const envelope = Reply.safeParse(parseJsonReply(msg.data));
  if (!envelope.success) throw new AppError('internal', `malformed reply from ${name}`);
  if (!envelope.data.ok) {
    const { code, message, details } = envelope.data.error;
    throw new AppError(code, message, details);
  }
  const data = Rpc[name].reply.safeParse(envelope.data.data);
  if (!data.success) throw new AppError('internal', `reply from ${name} does not match its schema`);
  return data.data as z.output<(typeof Rpc)[N]['reply']>;
}

function parseJsonReply(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
}
