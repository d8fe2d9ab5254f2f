import type { AvatarCache } from '../avatar-cache.ts';
import type { GatewayContext } from '../context.ts';
import { asyncApiDocument, openApiDocument } from '../edge/api-docs.ts';
import { defineRoute, type RouteSpec } from '../edge/spec.ts';
import type { PresenceTracker } from '../presence.ts';
import type { RoomHub } from '../room-hub.ts';
import { avatarRoutes } from './avatars.ts';
import { historyRoutes } from './history.ts';
import { meRoutes } from './me.ts';
import { roomRoutes } from './rooms.ts';
import { userRoutes } from './users.ts';

export const API_VERSION = '1.1.0';

export interface RouteDeps {
  ctx: GatewayContext;
  cache: AvatarCache;
  hub: RoomHub;
  presence: PresenceTracker;
}

/** Every route of the HTTP API, as specs (see `edge/spec.ts`); the API documents are generated from them. */
export function apiRoutes(deps: RouteDeps): RouteSpec[] {
  return [
    ...userRoutes(deps.ctx),
    ...avatarRoutes(deps.ctx, deps.cache),
    ...roomRoutes(deps.ctx),
    ...meRoutes(deps.ctx),
    ...historyRoutes(deps.ctx, deps.hub, deps.presence),
  ];
}

/** The API's descriptions, served beside it: OpenAPI 3.1 for HTTP, AsyncAPI 3.0 for the WebSocket frames. */
export function docRoutes(routes: readonly RouteSpec[], mode: 'token' | 'open'): RouteSpec[] {
  const openApi = JSON.stringify(openApiDocument(routes, { version: API_VERSION, mode }));
  const asyncApi = JSON.stringify(asyncApiDocument({ version: API_VERSION }));
  const json = (raw: string) => ({
    status: 200,
    raw,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'public, max-age=300' },
  });
  return [
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      summary: 'This API as an OpenAPI 3.1 document',
      tags: ['docs'],
      auth: 'public',
      responses: { 200: { description: 'the document' } },
      handler: async () => json(openApi),
    }),
    defineRoute({
      method: 'get',
      path: '/asyncapi.json',
      summary: 'The WebSocket frames as an AsyncAPI 3.0 document',
      tags: ['docs'],
      auth: 'public',
      responses: { 200: { description: 'the document' } },
      handler: async () => json(asyncApi),
    }),
  ] as RouteSpec[];
}
