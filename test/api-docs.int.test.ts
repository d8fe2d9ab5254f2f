import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('the API documents', () => {
  it('are served by the gateway without a session', async () => {
    const openApi = await fetch(`${stack.url}/openapi.json`);
    expect(openApi.status).toBe(200);
    const doc = (await openApi.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/users', '/rooms/{id}/messages', '/rooms/{id}/join']));
    const asyncApi = (await (await fetch(`${stack.url}/asyncapi.json`)).json()) as { asyncapi: string; channels: Record<string, { address: string }> };
    expect(asyncApi.asyncapi).toBe('3.0.0');
    expect(Object.values(asyncApi.channels).map((c) => c.address)).toEqual(['/ws', '/ws/{room}/{user}']);
  });
});
