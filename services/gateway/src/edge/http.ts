import { AppError, type ErrorBody, isAppError } from '@chat/contracts';
import type { Logger } from '@chat/runtime';
import type { HttpRequest, HttpResponse } from '../uws.ts';
import type { Reply } from './spec.ts';

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  201: '201 Created',
  202: '202 Accepted',
  204: '204 No Content',
  304: '304 Not Modified',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  409: '409 Conflict',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};
export const statusLine = (status: number): string => STATUS_TEXT[status] ?? `${status} Status`;

/** What every JSON answer of the API says about itself: never sniffed, never cached. */
export const API_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' } as const;

/** A request id a client may choose: short and printable; anything else is replaced by one of ours. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const requestId = (given: string): string => (REQUEST_ID.test(given) ? given : crypto.randomUUID());

/** The error's answer: 4xx say what was wrong; 5xx say nothing of the internals (which go to the log). */
export function errorReply(err: unknown, log: Logger, context: Record<string, unknown>): Reply {
  if (isAppError(err)) {
    const headers: Record<string, string> = {};
    const retryAfter = (err.details as { retry_after?: unknown } | undefined)?.retry_after;
    if (typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
    else if (err.code === 'unavailable') headers['retry-after'] = '1';
    return { status: err.status, body: { error: err.toBody() }, headers };
  }
  log.error({ err, ...context }, 'request failed');
  const body: ErrorBody = { code: 'internal', message: 'internal error' };
  return { status: 500, body: { error: body } };
}

export function send(res: HttpResponse, reply: Reply, correlationId?: string): void {
  res.cork(() => {
    res.writeStatus(statusLine(reply.status));
    if (correlationId) res.writeHeader('x-request-id', correlationId);
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.writeHeader(k, v);
    if (reply.raw !== undefined) {
      res.end(reply.raw);
    } else if (reply.status === 204 || reply.status === 304) {
      res.endWithoutBody();
    } else {
      res.writeHeader('content-type', 'application/json; charset=utf-8');
      for (const [k, v] of Object.entries(API_HEADERS)) if (!reply.headers?.[k]) res.writeHeader(k, v);
      res.end(JSON.stringify(reply.body));
    }
  });
}

/**
 * A request whose length is ambiguous: two `Content-Length` headers (uWS reads the first and would
 * take the rest as a second request), or one beside `Transfer-Encoding`. Such a request is never
 * served: see `refuseFraming`.
 */
export function framingProblem(req: HttpRequest): string | null {
  let lengths = 0;
  let chunked = false;
  req.forEach((key) => {
    if (key === 'content-length') lengths++;
    else if (key === 'transfer-encoding') chunked = true;
  });
  if (lengths > 1) return 'more than one Content-Length header';
  if (lengths > 0 && chunked) return 'both Content-Length and Transfer-Encoding';
  return null;
}

/**
 * Answers 400 and closes the connection, after uWS has finished with the bytes it read: a request
 * smuggled behind this one in the same read makes uWS close the connection first (nothing served),
 * and anything arriving later finds it closed.
 */
export function refuseFraming(res: HttpResponse, reason: string): void {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  setImmediate(() => {
    if (aborted) return;
    res.cork(() => {
      res.writeStatus(statusLine(400));
      res.writeHeader('content-type', 'application/json; charset=utf-8');
      for (const [k, v] of Object.entries(API_HEADERS)) res.writeHeader(k, v);
      res.end(JSON.stringify({ error: { code: 'bad_request', message: reason } }), true);
    });
  });
}

/**
 * Starts reading the body at once (uWS delivers it right after the handler returns) and hands
 * back a function that resolves to it; past `max` bytes it fails with 413 and stops buffering.
 */
export function readBody(res: HttpResponse, max: number, declared: number): () => Promise<Buffer> {
  if (declared > max) {
    const tooBig = Promise.reject(tooLarge(max));
    tooBig.catch(() => undefined);
    return () => tooBig;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const body = new Promise<Buffer>((resolve, reject) => {
    res.onData((chunk, isLast) => {
      if (size > max) return;
      size += chunk.byteLength;
      if (size > max) {
        reject(tooLarge(max));
        return;
      }
      // uWS reuses the chunk's memory after this callback: copy it.
      chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
      if (isLast) resolve(Buffer.concat(chunks));
    });
  });
  body.catch(() => undefined);
  return () => body;
}

const tooLarge = (max: number) => new AppError('payload_too_large', `body is larger than ${max} bytes`);

export function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw new AppError('bad_request', 'request body is empty; expected JSON');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError('bad_request', 'request body is not valid JSON');
  }
}

/**
 * The client's address: the peer's, or, when the peer is a proxy we trust, the nearest address in
 * `X-Forwarded-For` that is not one of our proxies (the ones before it could be made up).
 */
export function clientAddress(peer: string, forwardedFor: string, trusted: ReadonlySet<string>): string {
  if (!trusted.has(peer) || !forwardedFor) return peer;
  const hops = forwardedFor
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) if (!trusted.has(hops[i]!)) return hops[i]!;
  return peer;
}

/** uWS gives the peer's address as text bytes; IPv4 peers may come as IPv4-mapped IPv6. */
export const peerAddress = (res: HttpResponse): string => {
  const text = Buffer.from(res.getRemoteAddressAsText()).toString();
  return text.startsWith('0000:0000:0000:0000:0000:ffff:') ? text.slice(30) : text.replace(/^::ffff:/, '');
};
