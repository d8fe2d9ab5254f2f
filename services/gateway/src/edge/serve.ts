import { AppError, JSON_BODY_MAX_BYTES, parseOrThrow } from '@chat/contracts';
import type { Logger } from '@chat/runtime';
import type { z } from 'zod';
import { bearer } from '../auth.ts';
import type { OriginPolicy } from '../origins.ts';
import type { HttpResponse, TemplatedApp } from '../uws.ts';
import type { Authenticator } from './authenticators.ts';
import { clientAddress, errorReply, framingProblem, parseJson, peerAddress, readBody, refuseFraming, requestId, send } from './http.ts';
import type { CreationLimiter } from './rate-limits.ts';
import { type EdgeRequest, paramNames, type Reply, type RouteSpec } from './spec.ts';

/** The headers the edge and handlers read; uWS's request is gone once the callback returns. */
const HEADERS_WE_READ = ['authorization', 'content-type', 'content-length', 'origin', 'if-none-match', 'x-request-id', 'x-forwarded-for'];

export interface EdgeDeps {
  log: Logger;
  auth: Authenticator;
  origins: OriginPolicy;
  limiter: CreationLimiter;
  /** Posts share one allowance per user with the user's socket frames. */
  checkPost: (userId: string) => void;
  trustedProxies: ReadonlySet<string>;
  onResponse?: ((route: string, status: number, ms: number) => void) | undefined;
  onRefused?: ((reason: string) => void) | undefined;
}

/**
 * The one place every route is served: copies the request out of uWS, refuses an ambiguous frame,
 * reads the body within its limit, parses params, query and body with the route's schemas,
 * authenticates by its policy (before any look-up, so a refusal says nothing of what exists),
 * rate-limits by its class, runs the handler, and maps every error to the JSON error shape with
 * the right status (503 and 429 with `Retry-After`). Each request leaves one access-log line.
 */
export function serveRoutes(app: TemplatedApp, specs: readonly RouteSpec[], deps: EdgeDeps): void {
  for (const spec of specs) serveRoute(app, spec, deps);
}

function serveRoute(app: TemplatedApp, spec: RouteSpec, deps: EdgeDeps): void {
  const names = paramNames(spec.path);
  const bodyKind = spec.bodyKind ?? (spec.body ? 'json' : 'none');
  const mutates = spec.method !== 'get';
  app[spec.method](spec.path, (res: HttpResponse, req) => {
    const started = performance.now();
    const bad = framingProblem(req);
    if (bad) {
      refuseFraming(res, bad);
      return;
    }
    const abort = new AbortController();
    res.onAborted(() => abort.abort());
    const headers = new Map(HEADERS_WE_READ.map((h) => [h, req.getHeader(h)]));
    const header = (name: string) => headers.get(name) ?? '';
    const rawParams = Object.fromEntries(names.map((name, i) => [name, safeDecode(req.getParameter(i) ?? '')]));
    const rawQuery = req.getQuery() ?? '';
    const correlationId = requestId(header('x-request-id'));
    const address = clientAddress(peerAddress(res), header('x-forwarded-for'), deps.trustedProxies);
    const limit = typeof spec.bodyLimit === 'function' ? spec.bodyLimit(header) : (spec.bodyLimit ?? JSON_BODY_MAX_BYTES);
    const body = bodyKind === 'none' ? null : readBody(res, limit, Number(header('content-length') || 0));
    const request: EdgeRequest = {
      header,
      bytes: () => body?.() ?? Promise.resolve(Buffer.alloc(0)),
      correlationId,
      address,
      signal: abort.signal,
    };
    const cors = deps.origins.corsHeaders(header('origin'));

    const run = async (): Promise<Reply> => {
      const params = spec.params ? parse(spec.params, rawParams, 'path') : rawParams;
      // Authentication first: a bad token is a 401 whatever the rest of the request holds.
      const token = bearer(header('authorization'));
      if (spec.auth !== 'public' && deps.auth.mode === 'token') await deps.auth.actor('session', { token, claimed: undefined, pathUser: undefined });
      const query = spec.query ? parse(spec.query, Object.fromEntries(new URLSearchParams(rawQuery)), 'query') : {};
      let input: unknown;
      if (bodyKind === 'json') input = parse(spec.body, parseJson(await body!()), 'body');
      else if (bodyKind === 'optional-json') {
        const bytes = await body!();
        input = parse(spec.body, bytes.length === 0 ? {} : parseJson(bytes), 'body');
      }
      const claimed = (input as { user_id?: unknown } | undefined)?.user_id;
      const pathUser = (params as { id?: unknown }).id;
      const actor = await deps.auth.actor(spec.auth, {
        token,
        claimed: typeof claimed === 'string' ? claimed : undefined,
        pathUser: spec.auth === 'self' && typeof pathUser === 'string' ? pathUser : undefined,
      });
      if (spec.rate === 'post') {
        if (actor) deps.checkPost(actor);
      } else if (spec.rate) {
        deps.limiter.check(spec.rate, actor, address);
      }
      if (mutates) {
        // uWS refuses a request pipelined behind one still being answered by closing the
        // connection; let it do so before anything takes effect, so a refused write never lands.
        await new Promise((r) => setImmediate(r));
        if (abort.signal.aborted) throw new AppError('bad_request', 'the client went away');
      }
      return spec.handler({ params, query, body: input, actor, req: request });
    };

    void run()
      .catch((err: unknown) => errorReply(err, deps.log, { route: spec.path, method: spec.method, correlationId }))
      .then((reply) => {
        const ms = performance.now() - started;
        const status = abort.signal.aborted ? 499 : reply.status;
        deps.onResponse?.(spec.path, status, ms);
        if (status >= 400 && status < 500 && status !== 499) deps.onRefused?.((reply.body as { error?: { code?: string } })?.error?.code ?? String(status));
        deps.log.info({ req: correlationId, method: spec.method.toUpperCase(), route: spec.path, status, ms: Math.round(ms * 10) / 10 }, 'request');
        if (!abort.signal.aborted) send(res, { ...reply, headers: { ...cors, ...reply.headers } }, correlationId);
      });
  });
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, what: string): T {
  return schema ? parseOrThrow(schema, value, what) : (undefined as T);
}

/** Path segments as they were meant; a malformed escape is a 400, never a crash. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '\u0000malformed';
  }
}

/** CORS preflight: browsers on an allowed origin may send JSON and the Authorization header. */
export function servePreflight(app: TemplatedApp, origins: OriginPolicy): void {
  app.options('/*', (res, req) => {
    const bad = framingProblem(req);
    if (bad) {
      refuseFraming(res, bad);
      return;
    }
    const cors = origins.corsHeaders(req.getHeader('origin'));
    if (!cors['access-control-allow-origin']) {
      send(res, { status: 403, body: { error: { code: 'forbidden', message: 'origin not allowed' } } });
      return;
    }
    send(res, {
      status: 204,
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
export function serveNotFound(app: TemplatedApp): void {
  app.any('/*', (res, req) => {
    const bad = framingProblem(req);
    if (bad) {
      refuseFraming(res, bad);
      return;
    }
    const error = new AppError('not_found', `no route for ${req.getMethod().toUpperCase()} ${req.getUrl().slice(0, 200)}`);
    send(res, { status: 404, body: { error: error.toBody() } });
  });
}
