import { AppError, isAppError, type ErrorBody } from '@chat/contracts';
import type { Logger } from '@chat/runtime';
import type { OriginPolicy } from './origins.ts';
import type { HttpRequest, HttpResponse, TemplatedApp } from './uws.ts';

/** What a handler sees of a request: copied out of uWS at once (its request is valid only then). */
export interface Request {
  method: string;
  url: string;
  params: string[];
  query: URLSearchParams;
  header(name: string): string;
  /** The body parsed as JSON (at most the route's `maxBody` bytes). */
  json(): Promise<unknown>;
  /** The raw body; a body over `max` bytes (at most the route's `maxBody`) is a 413. */
  bytes(max?: number): Promise<Buffer>;
  correlationId: string;
  /** Aborted when the client goes away before the reply. */
  signal: AbortSignal;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Sent as is instead of JSON. */
  raw?: string | Buffer;
}

export type Handler = (req: Request) => Promise<Reply>;

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

const HEADERS_WE_READ = ['authorization', 'content-type', 'content-length', 'origin', 'if-none-match'];

export interface HttpOptions {
  log: Logger;
  origins: OriginPolicy;
  /**
   * The most a route reads of a body: past it the request fails with 413 and buffering stops.
   * A function picks it from the request's headers (e.g. more room for multipart framing).
   */
  maxBody: number | ((header: (name: string) => string) => number);
  onResponse?: (route: string, status: number, ms: number) => void;
}

export function errorReply(err: unknown, log: Logger, context: Record<string, unknown>): Reply {
  if (isAppError(err)) return { status: err.status, body: { error: err.toBody() } };
  log.error({ err, ...context }, 'request failed');
  const body: ErrorBody = { code: 'internal', message: 'internal error' };
  return { status: 500, body: { error: body } };
}

/**
 * Registers a route on uWS with the habits its docs insist on: `onAborted` before any await,
 * everything copied out of `req` at once, the reply written inside `cork`, and one place where
 * errors become JSON bodies (4xx say what was wrong; 5xx say nothing of the internals).
 */
export function route(app: TemplatedApp, method: 'get' | 'post' | 'patch' | 'put' | 'del', pattern: string, handler: Handler, opts: HttpOptions): void {
  const paramCount = (pattern.match(/\/:/g) ?? []).length;
  app[method](pattern, (res: HttpResponse, req: HttpRequest) => {
    const started = performance.now();
    const state = { aborted: false };
    const abort = new AbortController();
    res.onAborted(() => {
      state.aborted = true;
      abort.abort();
    });
    const headers = new Map(HEADERS_WE_READ.map((h) => [h, req.getHeader(h)]));
    const params = Array.from({ length: paramCount }, (_, i) => req.getParameter(i) ?? '');
    const query = new URLSearchParams(req.getQuery() ?? '');
    const url = req.getUrl();
    const correlationId = req.getHeader('x-request-id') || crypto.randomUUID();
    const header = (name: string) => headers.get(name) ?? '';
    const maxBody = typeof opts.maxBody === 'function' ? opts.maxBody(header) : opts.maxBody;
    const body = readBody(res, maxBody, Number(headers.get('content-length') || 0));
    const request: Request = {
      method,
      url,
      params,
      query,
      header,
      json: async () => parseJson(await body()),
      bytes: async (max = maxBody) => {
        const bytes = await body();
        if (bytes.length > max) throw tooLarge(max);
        return bytes;
      },
      correlationId,
      signal: abort.signal,
    };
    const cors = opts.origins.corsHeaders(headers.get('origin') ?? '');
    handler(request)
      .catch((err: unknown) => errorReply(err, opts.log, { url, method, correlationId }))
      .then((reply) => {
        opts.onResponse?.(pattern, reply.status, performance.now() - started);
        if (!state.aborted) send(res, { ...reply, headers: { ...cors, ...reply.headers } }, correlationId);
      });
  });
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
      res.end(JSON.stringify(reply.body));
    }
  });
}

/**
 * Starts reading the body at once (uWS delivers it right after the handler returns) and hands
 * back a function that resolves to it; past `max` bytes it fails with 413 and stops buffering.
 */
function readBody(res: HttpResponse, max: number, declared: number): () => Promise<Buffer> {
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

function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw new AppError('bad_request', 'request body is empty; expected JSON');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError('bad_request', 'request body is not valid JSON');
  }
}

/** CORS preflight: browsers on an allowed origin may send JSON and the Authorization header. */
export function preflight(app: TemplatedApp, origins: OriginPolicy): void {
  app.options('/*', (res, req) => {
    const origin = req.getHeader('origin');
    const cors = origins.corsHeaders(origin);
    if (!cors['access-control-allow-origin']) {
      send(res, { status: 403, body: { error: { code: 'forbidden', message: 'origin not allowed' } } });
      return;
    }
    send(res, {
      status: 204,
      body: undefined,
      headers: {
        ...cors,
        'access-control-allow-methods': 'GET, POST, PATCH, PUT, DELETE, OPTIONS',
        'access-control-allow-headers': 'authorization, content-type, x-request-id',
        'access-control-max-age': '600',
      },
    });
  });
}

/** Unknown paths get the same JSON error shape as everything else. */
export function notFound(app: TemplatedApp): void {
  app.any('/*', (res, req) => {
    const error = new AppError('not_found', `no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}`);
    send(res, { status: 404, body: { error: error.toBody() } });
  });
}
