import { Backoff, RETRY_BACKOFF, type BackoffOptions } from './backoff.ts';

/** An error answer of the API (`{ error: { code, message, details? } }`), or a request that got none. */
export class ApiError extends Error {
  constructor(
    /** The HTTP status; 0 when no answer came (network down, connection reset, timeout). */
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Worth trying again unchanged: no answer, rate limited, or the server (or what is in front of it) failed. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

export type Body = string | Blob | ArrayBuffer | Uint8Array;

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is, with `contentType`. */
  body?: Body;
  contentType?: string;
  signal?: AbortSignal | undefined;
  /**
   * Attempts in all (1: no retry). Only for requests that are safe to repeat: reads, and writes
   * made idempotent by the API (a post's `client_msg_id`, join, leave, avatar upload).
   */
  attempts?: number;
  /** Gives up on one attempt after this long (a long-poll passes its wait plus a margin). */
  timeoutMs?: number;
}

export interface HttpAnswer<T> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * The cursor of the next page a list answer names in `X-Next-Before` / `X-Next-After` (exposed to
 * browsers by CORS); undefined on the last page, or when the header is not a number.
 */
export function nextCursor(headers: Headers | undefined, direction: 'before' | 'after'): number | undefined {
  const raw = headers?.get(`x-next-${direction}`);
  if (raw === null || raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpOptions {
  baseUrl: string;
  fetch?: FetchLike | undefined;
  headers: () => Record<string, string>;
  backoff?: BackoffOptions | undefined;
}

const DEFAULT_TIMEOUT_MS = 15_000;

export class Http {
  private readonly fetch: FetchLike;

  constructor(private readonly opts: HttpOptions) {
    // Called through a closure: browsers refuse `fetch` called on anything but the window.
    this.fetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  url(path: string, query?: HttpRequest['query']): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return `${this.opts.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  /** The parsed JSON answer, its status and headers; an error answer (or none) throws an `ApiError`. */
  async request<T>(req: HttpRequest): Promise<HttpAnswer<T>> {
    const backoff = new Backoff(this.opts.backoff ?? RETRY_BACKOFF);
    const attempts = Math.max(1, req.attempts ?? 1);
    for (;;) {
      try {
        return await this.once<T>(req);
      } catch (err) {
        if (!(err instanceof ApiError) || !err.retryable || backoff.attempts + 1 >= attempts || req.signal?.aborted) throw err;
        await sleep(backoff.next(), req.signal);
      }
    }
  }

  private async once<T>(req: HttpRequest): Promise<HttpAnswer<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.opts.headers() };
    let body: Body | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.body !== undefined) {
      if (req.contentType) headers['content-type'] = req.contentType;
      body = req.body;
    }
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), req.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const onAbort = () => timeout.abort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    let res: Response;
    try {
      res = await this.fetch(this.url(req.path, req.query), { method: req.method, headers, body: body as RequestInit['body'], signal: timeout.signal });
    } catch (err) {
      if (req.signal?.aborted) throw abortError();
      const why = timeout.signal.aborted ? 'timed out' : err instanceof Error ? err.message : String(err);
      throw new ApiError(0, 'network', `${req.method} ${req.path}: no answer (${why})`);
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (!res.ok) {
      const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
      const code = typeof error?.code === 'string' ? error.code : `http_${res.status}`;
      const message = typeof error?.message === 'string' ? error.message : `${req.method} ${req.path} answered ${res.status}`;
      throw new ApiError(res.status, code, message, error?.details);
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
}

export function abortError(): Error {
  const err = new Error('aborted');
  err.name = 'AbortError';
  return err;
}

/** Waits `ms`, or rejects with an AbortError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
