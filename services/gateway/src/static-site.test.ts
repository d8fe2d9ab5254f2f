import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APP_CSP, loadStaticSite } from './static-site.ts';

const dir = mkdtempSync(join(tmpdir(), 'site-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('static site', () => {
  it('is nothing without an index.html', () => {
    expect(loadStaticSite(dir)).toBeNull();
    expect(loadStaticSite(join(dir, 'missing'))).toBeNull();
  });

  it('reads the build: hashed assets immutable, the page revalidated, big text gzipped, API paths never taken', () => {
    mkdirSync(join(dir, 'assets'));
    mkdirSync(join(dir, 'rooms'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(join(dir, 'assets', 'index-AbC123.js'), `console.log(${JSON.stringify('x'.repeat(5000))});`);
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(dir, 'rooms', 'index.html'), 'would shadow the API');
    writeFileSync(join(dir, 'notes.exe'), 'unknown type');
    const site = loadStaticSite(dir)!;
    expect([...site.files.keys()].sort()).toEqual(['/assets/index-AbC123.js', '/favicon.svg', '/index.html']);
    const page = site.files.get('/index.html')!;
    expect(page).toMatchObject({ type: 'text/html; charset=utf-8', cacheControl: 'no-cache', html: true, gzip: null });
    const js = site.files.get('/assets/index-AbC123.js')!;
    expect(js).toMatchObject({ type: 'text/javascript; charset=utf-8', cacheControl: 'public, max-age=31536000, immutable', html: false });
    expect(js.gzip!.length).toBeLessThan(js.body.length / 10);
    expect(js.etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(site.files.get('/favicon.svg')!.cacheControl).toBe('public, max-age=300');
  });

  it('allows nothing from another host', () => {
    expect(APP_CSP).toContain("default-src 'self'");
    expect(APP_CSP).toContain("img-src 'self' data: blob:");
    expect(APP_CSP).not.toMatch(/https?:|\*|unsafe/);
  });
});
