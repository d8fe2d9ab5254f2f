import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/stack.ts';

const root = mkdtempSync(join(tmpdir(), 'web-root-'));
const bundle = `document.title = ${JSON.stringify('chat'.repeat(2000))};`;
let stack: Stack;
beforeAll(async () => {
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><html><head><script type="module" src="/assets/index-Zx9.js"></script></head></html>');
  writeFileSync(join(root, 'assets', 'index-Zx9.js'), bundle);
  writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  stack = await startStack({ gatewayEnv: { WEB_ROOT: root } });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('the gateway serves the web app', () => {
  it('at / with a strict CSP, no-cache and nosniff', async () => {
    const res = await fetch(`${stack.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'self'; img-src 'self' data: blob:;/);
    expect(await res.text()).toContain('/assets/index-Zx9.js');
    const again = await fetch(`${stack.url}/`, { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await fetch(`${stack.url}/index.html`)).status).toBe(200);
    const head = await fetch(`${stack.url}/`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
  });

  it('hashed assets immutable, gzipped for clients that take it', async () => {
    const res = await fetch(`${stack.url}/assets/index-Zx9.js`);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await res.text()).toBe(bundle);
    const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      import('node:http').then(({ get }) =>
        get(`${stack.url}/assets/index-Zx9.js`, { headers: { 'accept-encoding': 'gzip' } }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => resolve({ encoding: r.headers['content-encoding'], body: Buffer.concat(chunks) }));
        }).on('error', reject),
      );
    });
    expect(raw.encoding).toBe('gzip');
    expect(gunzipSync(raw.body).toString()).toBe(bundle);
    expect(raw.body.length).toBeLessThan(bundle.length / 10);
  });

  it('leaves the API alone: its routes answer as before and unknown paths are JSON 404s', async () => {
    const rooms = await fetch(`${stack.url}/rooms`);
    expect(rooms.status).toBe(401);
    expect(await rooms.json()).toMatchObject({ error: { code: 'unauthorized' } });
    for (const path of ['/nope', '/assets/missing.js', '/rooms/x/nope', '/index.htm']) {
      const res = await fetch(`${stack.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.json(), path).toMatchObject({ error: { code: 'not_found' } });
    }
    const created = await fetch(`${stack.url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'Static' }),
    });
    expect(created.status).toBe(201);
  });
});
