import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { createConnection } from 'node:net';
import type * as Uws from 'uWebSockets.js';

import type { HttpResponse, TemplatedApp, us_socket_context_t, WebSocket } from 'uWebSockets.js';

export type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket, us_socket_context_t, WebSocket } from 'uWebSockets.js';

/**
 * Loads uWebSockets.js and refuses a silent fallback: the package swaps in a slow JavaScript
 * imitation when its native binary does not load, and a gateway on it would fail under load.
 */
export function loadUws(): typeof Uws {
  const require = createRequire(import.meta.url);
  const originalWarn = console.warn;
  const warnings: string[] = [];
  console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
  let uws: typeof Uws;
  try {
    uws = require('uWebSockets.js') as typeof Uws;
  } finally {
    console.warn = originalWarn;
  }
  if (!isNative(uws)) {
    throw new Error(
      `uWebSockets.js native binary did not load on Node ${process.version} (${process.platform}-${process.arch}, ABI ${process.versions.modules}); ` +
        `refusing to run on its JavaScript fallback. ${warnings.join(' ').slice(0, 500)}`,
    );
  }
  // No `uWebSockets: 20` banner on every response (this build's switch for it is `_cfg('silent')`).
  (uws as unknown as { _cfg?: (key: string) => void })._cfg?.('silent');
  return uws;
}

export const isNative = (uws: typeof Uws): boolean => typeof uws.App === 'function' && Function.prototype.toString.call(uws.App).includes('[native code]');

/**
 * Upgrades asynchronously without the "writes must be made from within a corked callback" warning
 * (printed on every upgrade otherwise, so anyone could flood the log) and without the bug of this
 * build where `res.cork(() => res.upgrade(…))` closes the new socket with 1006 right after `open`
 * (uWebSockets fixed it upstream in fe7c01a, after the release we can load): the upgrade runs
 * inside the cork of another socket, an internal loopback WebSocket kept open for this purpose
 * (see `Anchor`), whose cork skips the faulty post-processing. Without an anchor (not yet open, or
 * closed) the upgrade runs bare: a warning line, never a broken socket.
 */
export class Anchor {
  private socket: WebSocket<unknown> | null = null;
  private client: import('node:net').Socket | null = null;
  private stopped = false;
  readonly path = `/__anchor/${randomBytes(16).toString('hex')}`;

  /** Registers the anchor's endpoint: loopback only, and only at its secret path. */
  register(app: TemplatedApp): void {
    app.ws(this.path, {
      idleTimeout: 0,
      maxPayloadLength: 16,
      upgrade: (res, req, context) => {
        const peer = Buffer.from(res.getRemoteAddressAsText()).toString();
        if (this.socket || !isLoopback(peer)) {
          res.cork(() => res.writeStatus('404 Not Found').end());
          return;
        }
        res.upgrade({}, req.getHeader('sec-websocket-key'), '', req.getHeader('sec-websocket-extensions'), context);
      },
      open: (ws) => {
        this.socket = ws as WebSocket<unknown>;
      },
      close: () => {
        this.socket = null;
        if (!this.stopped) setTimeout(() => this.connectTo(this.port), 100).unref();
      },
    });
  }

  private port = 0;

  /** Opens the loopback connection once the app listens on `port`. */
  connectTo(port: number): void {
    this.port = port;
    if (this.stopped) return;
    const socket = createConnection({ host: '127.0.0.1', port });
    this.client = socket;
    socket.on('error', () => undefined);
    socket.write(
      `GET ${this.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  }

  upgrade<T>(res: HttpResponse, data: T, key: string, protocol: string, extensions: string, context: us_socket_context_t): void {
    const anchor = this.socket;
    if (anchor) anchor.cork(() => res.cork(() => res.upgrade<T>(data, key, protocol, extensions, context)));
    else res.upgrade<T>(data, key, protocol, extensions, context);
  }

  stop(): void {
    this.stopped = true;
    this.client?.destroy();
    this.socket = null;
  }
}

const isLoopback = (peer: string): boolean =>
  peer === '127.0.0.1' ||
  peer === '::1' ||
  peer === '0000:0000:0000:0000:0000:0000:0000:0001' ||
  /^(0000:){5}ffff:7f/.test(peer) ||
  peer.startsWith('::ffff:127.');
