import { createRequire } from 'node:module';
import type * as Uws from 'uWebSockets.js';

export type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, us_listen_socket } from 'uWebSockets.js';

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
  return uws;
}

export const isNative = (uws: typeof Uws): boolean => typeof uws.App === 'function' && Function.prototype.toString.call(uws.App).includes('[native code]');
