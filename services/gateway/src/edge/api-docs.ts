import {
  ClientFrame,
  ErrorBody,
  HISTORY_LIMIT_MAX,
  JSON_BODY_MAX_BYTES,
  InboxFrame,
  LiveFrame,
  MuxClientFrame,
  PresenceFrame,
  ServerFrame,
  WsQuery,
} from '@chat/contracts';
import { z } from 'zod';
import { openApiPath, paramNames, type RouteSpec } from './spec.ts';

type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (what OpenAPI 3.1 and AsyncAPI 3 speak), as a client sends it. */
const schemaOf = (schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const ERROR = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string, extra: Record<string, unknown> = {}) => ({
  description,
  content: { 'application/json': { schema: ERROR } },
  ...extra,
});
const RETRY_AFTER = { 'Retry-After': { description: 'seconds to wait before trying again', schema: { type: 'integer' } } };
const methodName = (m: RouteSpec['method']) => (m === 'del' ? 'delete' : m);

/**
 * The HTTP API as an OpenAPI 3.1 document, generated from the routes' own specs: the same zod
 * schemas the edge validates with, the same auth policies and rate classes. A route added as a
 * spec is described here with nothing else to write.
 */
export function openApiDocument(routes: readonly RouteSpec[], info: { version: string; mode: 'token' | 'open' }): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters: unknown[] = [];
    const params = route.params ? (schemaOf(route.params) as { properties?: Record<string, JsonSchema> }) : { properties: {} };
    for (const name of paramNames(route.path)) {
      parameters.push({ name, in: 'path', required: true, schema: params.properties?.[name] ?? { type: 'string' } });
    }
    if (route.query) {
      const q = schemaOf(route.query) as { properties?: Record<string, JsonSchema>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(route.responses)) {
      responses[status] = {
        description: r.description,
        ...(r.schema ? { content: { 'application/json': { schema: schemaOf(r.schema, 'output') } } } : {}),
        ...(r.contentType ? { content: { [r.contentType]: { schema: { type: 'string', format: 'binary' } } } } : {}),
        ...(r.headers
          ? { headers: Object.fromEntries(Object.entries(r.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) }
          : {}),
      };
    }
    responses['400'] ??= errorResponse('invalid input: `bad_request` or `validation_failed`, naming each bad field in `details`');
    if (route.auth !== 'public') responses['401'] = errorResponse('no valid session token (token mode)');
    if (route.auth === 'self' || route.auth === 'actor') responses['403'] = errorResponse('acting as another user, or not a member (`not_member`)');
    if (route.path.includes(':')) responses['404'] = errorResponse('no such room, user, message or avatar');
    if (route.bodyKind === 'bytes' || route.body) responses['413'] = errorResponse(`body larger than the route's limit`);
    if (route.rate) responses['429'] = errorResponse(`too many requests of the kind \`${route.rate}\``, { headers: RETRY_AFTER });
    responses['503'] = errorResponse('a service or the read models cannot answer right now', { headers: RETRY_AFTER });

    const body =
      route.bodyKind === 'bytes'
        ? {
            required: true,
            content: {
              'image/*': { schema: { type: 'string', format: 'binary' } },
              'multipart/form-data': { schema: { type: 'object', properties: { avatar: { type: 'string', format: 'binary' } } } },
            },
          }
        : route.body
          ? { required: route.bodyKind !== 'optional-json', content: { 'application/json': { schema: schemaOf(route.body) } } }
          : undefined;

    paths[openApiPath(route.path)] ??= {};
    paths[openApiPath(route.path)]![methodName(route.method)] = {
      summary: route.summary,
      tags: route.tags,
      operationId: `${methodName(route.method)} ${route.path}`,
      ...(parameters.length ? { parameters } : {}),
      ...(body ? { requestBody: body } : {}),
      responses,
      ...(route.auth === 'public' ? { security: [] } : {}),
      'x-auth-policy': route.auth,
      ...(route.rate ? { 'x-rate-class': route.rate } : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Chat API',
      version: info.version,
      description:
        'Rooms, membership, messages with history and live delivery, and profiles with avatars. ' +
        `Errors are \`{ "error": { "code", "message", "details"? } }\`. JSON bodies are at most ${JSON_BODY_MAX_BYTES} bytes ` +
        `(more for bodies that may carry a data: avatar); history pages hold at most ${HISTORY_LIMIT_MAX} messages. ` +
        'Live updates: see /asyncapi.json.',
    },
    servers: [{ url: '/' }],
    components: {
      schemas: { Error: schemaOf(z.object({ error: ErrorBody }), 'output') },
      securitySchemes:
        info.mode === 'token'
          ? { session: { type: 'http', scheme: 'bearer', description: 'the token POST /users answers with' } }
          : { session: { type: 'apiKey', in: 'query', name: 'user_id', description: 'AUTH_MODE=open: the user a request acts as, named by the client' } },
    },
    security: [{ session: [] }],
    paths,
  };
}

/** The names of every server frame the document must describe. */
export const serverFrameTypes = (): string[] =>
  (ServerFrame as unknown as { options: z.ZodType[] }).options.flatMap((option) => {
    const o = option as unknown as { options?: z.ZodObject[]; shape?: { type: z.ZodLiteral<string> } };
    const members = o.options ?? [option as unknown as z.ZodObject];
    return members.map((m) => String((m.shape.type as z.ZodLiteral<string>).value));
  });

/**
 * The WebSocket protocol as an AsyncAPI 3.0 document, from the same frame schemas the gateway
 * parses and sends: the multiplexed `/ws` and the seed's one-room `/ws/{room}/{user}`.
 */
/** Frames of the multiplexed socket only: its handshake, subscriptions and the inbox of all the user's rooms and invitations. */
const MUX_ONLY = [
  'server.welcome',
  'server.subscribed',
  'server.unsubscribed',
  'server.room_activity',
  'server.read_marker',
  'server.invited',
  'server.invitation_declined',
];

export function asyncApiDocument(info: { version: string }): JsonSchema {
  const serverMessages: Record<string, unknown> = {};
  const frames = [
    ...(LiveFrame as unknown as { options: z.ZodObject[] }).options,
    ...(InboxFrame as unknown as { options: z.ZodObject[] }).options,
    PresenceFrame,
    // After the three unions above, the frames ServerFrame lists one by one.
    ...(ServerFrame as unknown as { options: z.ZodType[] }).options.slice(3),
  ] as z.ZodObject[];
  for (const frame of frames) {
    const type = String((frame.shape.type as z.ZodLiteral<string>).value);
    serverMessages[`server.${type}`] = { name: type, title: `server → client: ${type}`, payload: schemaOf(frame, 'output') };
  }
  const clientMessages = (schema: z.ZodType, prefix: string) =>
    Object.fromEntries(
      (schema as unknown as { options: z.ZodObject[] }).options.map((o) => {
        const type = String((o.shape.type as z.ZodLiteral<string>).value);
        return [`${prefix}.${type}`, { name: type, title: `client → server: ${type}`, payload: schemaOf(o) }];
      }),
    );
  const muxClient = clientMessages(MuxClientFrame, 'mux');
  const roomClient = clientMessages(ClientFrame, 'room');
  const refs = (names: string[]) => Object.fromEntries(names.map((n) => [n, { $ref: `#/components/messages/${n}` }]));
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Chat live protocol',
      version: info.version,
      description:
        'JSON text frames with a `type`. Every frame about a room names it (`room_id`); `seq` is the seq of the event a frame reports, ' +
        'and a client’s cursor per room is the last frame seq it saw. Close codes: 1001 going away (reconnect, resume), 1008 flooding, ' +
        '1009 frame too big, 1013 fell behind (resume from the cursor), 4403 no longer a member (one-room socket).',
    },
    channels: {
      multiplexed: {
        address: '/ws',
        description:
          'One socket per device, authenticated once (`?token=` or `Sec-WebSocket-Protocol: chat.v1, token.<token>`; open mode: `?user_id=`). ' +
          '`subscribe {room_id, since?}` follows a room (admitted on its own; a refusal is an `error` naming the room), `unsubscribe` stops.',
        parameters: {},
        messages: { ...refs(Object.keys(muxClient)), ...refs(Object.keys(serverMessages).filter((n) => n !== 'server.ready')) },
        bindings: { ws: { query: schemaOf(WsQuery.omit({ since: true })) } },
      },
      room: {
        address: '/ws/{room}/{user}',
        description: 'The seed’s one-room socket: admitted before the upgrade (a refusal is the HTTP error body); `?since=` or a `resume` frame replays.',
        parameters: { room: { description: 'room id' }, user: { description: 'user id' } },
        messages: {
          ...refs(Object.keys(roomClient)),
          ...refs(Object.keys(serverMessages).filter((n) => !MUX_ONLY.includes(n))),
        },
        bindings: { ws: { query: schemaOf(WsQuery) } },
      },
    },
    operations: {
      sendMultiplexed: {
        action: 'send',
        channel: { $ref: '#/channels/multiplexed' },
        messages: Object.keys(muxClient).map((n) => ({ $ref: `#/channels/multiplexed/messages/${n}` })),
      },
      receiveMultiplexed: {
        action: 'receive',
        channel: { $ref: '#/channels/multiplexed' },
        messages: Object.keys(serverMessages)
          .filter((n) => n !== 'server.ready')
          .map((n) => ({ $ref: `#/channels/multiplexed/messages/${n}` })),
      },
      sendRoom: {
        action: 'send',
        channel: { $ref: '#/channels/room' },
        messages: Object.keys(roomClient).map((n) => ({ $ref: `#/channels/room/messages/${n}` })),
      },
    },
    components: { messages: { ...serverMessages, ...muxClient, ...roomClient } },
  };
}
