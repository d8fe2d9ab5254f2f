import type { z } from 'zod';
import type { RateClass } from './rate-limits.ts';

export type Method = 'get' | 'post' | 'patch' | 'put' | 'del';

/**
 * Who may call a route, decided before anything else is looked at:
 * - `public`: anyone, as nobody in particular (registration, images);
 * - `session`: a signed-in user (reads);
 * - `actor`: acts as a user (the one a `user_id` in the body names must be that user);
 * - `self`: acts on the path's own `:id` user, and only as that user.
 * What "signed in" means is the auth mode's business (see `authenticators.ts`), never a route's.
 */
export type AuthPolicy = 'public' | 'session' | 'actor' | 'self';

/** What a route reads of a request body. */
export type BodyKind = 'none' | 'json' | 'optional-json' | 'bytes';

/** What a handler sees of a request besides its parsed input (copied out of uWS at once). */
export interface EdgeRequest {
  header(name: string): string;
  /** The body as bytes, for routes that read it raw (`bodyKind: 'bytes'`). */
  bytes(): Promise<Buffer>;
  correlationId: string;
  /** The client's address (through trusted proxies only). */
  address: string;
  /** Aborted when the client goes away before the reply. */
  signal: AbortSignal;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as is instead of JSON. */
  raw?: string | Buffer;
}

export interface Input<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The user the request acts as; null for `public`, and for `session` reads in open mode. */
  actor: string | null;
  req: EdgeRequest;
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** A body that is not JSON (images). */
  contentType?: string;
  /** Response headers worth describing (name → what it says). */
  headers?: Record<string, string>;
}

/**
 * A route as data: everything the edge needs to serve it the same way as every other route —
 * parse and validate the path, query and body, authenticate by policy, rate-limit by class,
 * bound the body — and to describe it (OpenAPI). The handler gets parsed input and the actor.
 */
export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  method: Method;
  /** uWS pattern, e.g. `/rooms/:id/messages`. */
  path: string;
  summary: string;
  tags: string[];
  auth: AuthPolicy;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  bodyKind?: BodyKind;
  /** The most bytes the route reads of a body (default: the JSON limit); a function picks it from the headers. */
  bodyLimit?: number | ((header: (name: string) => string) => number);
  rate?: RateClass;
  responses: Record<number, ResponseSpec>;
  handler(input: Input<P, Q, B>): Promise<Reply>;
}

/** Declares a route; the type parameters follow from its schemas. */
export const defineRoute = <P = Record<string, never>, Q = Record<string, never>, B = undefined>(spec: RouteSpec<P, Q, B>): RouteSpec<P, Q, B> => spec;

/** The names of a pattern's parameters, in order (`/rooms/:id/messages/:message` → id, message). */
export const paramNames = (path: string): string[] => [...path.matchAll(/\/:([A-Za-z_]+)/g)].map((m) => m[1]!);

/** The OpenAPI spelling of a uWS pattern (`/rooms/{id}`). */
export const openApiPath = (path: string): string => path.replace(/\/:([A-Za-z_]+)/g, '/{$1}');
