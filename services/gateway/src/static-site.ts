import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AppError } from '@chat/contracts';
import { framingProblem, refuseFraming, send } from './edge/http.ts';
import type { HttpResponse, TemplatedApp } from './uws.ts';

/**
 * The web app's page policy. Everything from this origin only: scripts, styles, the API and its
 * WebSocket (`'self'` covers ws: and wss: of the same host). Images also from `data:` and `blob:`,
 * for the preview of an avatar picked but not yet uploaded. No `https:` for images: an avatar
 * hosted elsewhere would tell that host who reads which room, and the app shows the generated
 * default avatar for such users instead.
 */
export const APP_CSP = [
  "default-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.webmanifest', '.svg', '.txt']);

/** Paths of the API: a file of the site never takes one of them. */
const API_PREFIXES = ['/users', '/rooms', '/avatars', '/ws'];

const MAX_FILES = 2000;
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;

export interface StaticFile {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  etag: string;
  cacheControl: string;
  html: boolean;
}

/** The built web app, read into memory once at start (it is small, and then never touches the disk). */
export interface StaticSite {
  dir: string;
  files: Map<string, StaticFile>;
}

/** Reads `dir` (the Vite build); null when it holds no index.html. */
export function loadStaticSite(dir: string): StaticSite | null {
  if (!existsSync(join(dir, 'index.html'))) return null;
  const files = new Map<string, StaticFile>();
  let total = 0;
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) {
        walk(full);
        continue;
      }
      if (!entry.isFile()) continue;
      const path = `/${relative(dir, full).split(sep).join('/')}`;
      const type = TYPES[extname(entry.name).toLowerCase()];
      if (!type || API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) continue;
      if (files.size >= MAX_FILES) throw new Error(`web root ${dir} has more than ${MAX_FILES} files`);
      total += statSync(full).size;
      if (total > MAX_TOTAL_BYTES) throw new Error(`web root ${dir} is larger than ${MAX_TOTAL_BYTES} bytes`);
      files.set(path, staticFile(path, readFileSync(full)));
    }
  };
  walk(dir);
  return { dir, files };
}

function staticFile(path: string, body: Buffer): StaticFile {
  const ext = extname(path).toLowerCase();
  const html = ext === '.html';
  const gz = COMPRESSIBLE.has(ext) && body.length > 1024 ? gzipSync(body, { level: 9 }) : null;
  return {
    body,
    gzip: gz && gz.length < body.length * 0.9 ? gz : null,
    type: TYPES[ext]!,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`,
    // Vite puts a hash of the content in every name under /assets/: such a URL never changes
    // meaning. The page itself is checked every time, so a new build shows at the next load.
    cacheControl: path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : html ? 'no-cache' : 'public, max-age=300',
    html,
  };
}

function headersOf(file: StaticFile, gzip: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': file.type,
    'cache-control': file.cacheControl,
    etag: file.etag,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  if (file.gzip) headers.vary = 'accept-encoding';
  if (gzip) headers['content-encoding'] = 'gzip';
  if (file.html) {
    headers['content-security-policy'] = APP_CSP;
    headers['x-frame-options'] = 'DENY';
  }
  return headers;
}

/** `If-None-Match` holds this ETag (a list, or `*`). */
const matches = (header: string, etag: string): boolean => header === '*' || header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);

function reply(res: HttpResponse, file: StaticFile, acceptEncoding: string, ifNoneMatch: string, head: boolean): void {
  const gzip = file.gzip !== null && /\bgzip\b/i.test(acceptEncoding);
  const headers = headersOf(file, gzip);
  if (ifNoneMatch && matches(ifNoneMatch, file.etag)) {
    send(res, { status: 304, body: undefined, headers });
    return;
  }
  const body = gzip ? file.gzip! : file.body;
  if (head) {
    res.cork(() => {
      res.writeStatus('200 OK');
      for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
      // No reported length: this uWS build leaves a response open after endWithoutBody(length).
      res.endWithoutBody();
    });
    return;
  }
  send(res, { status: 200, body: undefined, raw: body, headers });
}

/**
 * Serves the site: `/` (and `/index.html`) is the app, every other file at its own path, each
 * registered exactly, so no wildcard can shadow the API and an unknown path still gets the API's
 * JSON 404. Without a built site, `/` says how to build it.
 */
export function serveStaticSite(app: TemplatedApp, site: StaticSite | null): void {
  if (!site) {
    app.get('/', (res, req) => {
      const bad = framingProblem(req);
      if (bad) {
        refuseFraming(res, bad);
        return;
      }
      const error = new AppError('not_found', 'the web app is not built here: run `pnpm --filter @chat/web build` (pnpm start does it), or set WEB_ROOT');
      send(res, { status: 404, body: { error: error.toBody() } });
    });
    return;
  }
  const routes = new Map(site.files);
  routes.set('/', site.files.get('/index.html')!);
  for (const [path, file] of routes) {
    for (const head of [false, true]) {
      app[head ? 'head' : 'get'](path, (res, req) => {
        const bad = framingProblem(req);
        if (bad) {
          refuseFraming(res, bad);
          return;
        }
        // Read now: uWS's request is only valid inside this callback.
        reply(res, file, req.getHeader('accept-encoding'), req.getHeader('if-none-match'), head);
      });
    }
  }
}
