import { ClientFrame, MuxClientFrame } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import { apiRoutes } from '../routes/index.ts';
import { asyncApiDocument, openApiDocument, serverFrameTypes } from './api-docs.ts';
import { openApiPath } from './spec.ts';

// Route factories only close over their dependencies: nothing is called while describing them.
const routes = apiRoutes({ ctx: {} as never, cache: {} as never, hub: {} as never, presence: {} as never });
const typesOf = (schema: unknown) => (schema as { options: { shape: { type: { value: string } } }[] }).options.map((o) => o.shape.type.value);

describe('API documents', () => {
  const doc = openApiDocument(routes, { version: 'test', mode: 'token' }) as {
    openapi: string;
    paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: unknown; responses: Record<string, unknown> }>>;
  };

  it('OpenAPI 3.1 describes every route, with its parameters, body and errors', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(routes.length).toBeGreaterThan(15);
    for (const route of routes) {
      const op = doc.paths[openApiPath(route.path)]?.[route.method === 'del' ? 'delete' : route.method];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      for (const name of route.path.match(/:([A-Za-z_]+)/g) ?? []) expect(op!.parameters?.some((p) => p.in === 'path' && p.name === name.slice(1))).toBe(true);
      if (route.body) expect(op!.requestBody).toBeDefined();
      expect(op!.responses['503']).toBeDefined();
      if (route.rate) expect(op!.responses['429']).toBeDefined();
    }
    const history = doc.paths['/rooms/{id}/messages']!.get!;
    expect(history.parameters!.map((p) => p.name).sort()).toEqual(['after', 'before', 'id', 'limit', 'wait']);
  });

  it('AsyncAPI describes every frame either way', () => {
    const messages = (asyncApiDocument({ version: 'test' }) as { components: { messages: Record<string, { name: string }> } }).components.messages;
    const names = new Set(Object.keys(messages));
    for (const type of serverFrameTypes()) expect(names.has(`server.${type}`), type).toBe(true);
    for (const type of typesOf(MuxClientFrame)) expect(names.has(`mux.${type}`), type).toBe(true);
    for (const type of typesOf(ClientFrame)) expect(names.has(`room.${type}`), type).toBe(true);
    expect(serverFrameTypes()).toEqual(expect.arrayContaining(['message', 'message_updated', 'presence', 'subscribed', 'error', 'pong']));
  });
});
