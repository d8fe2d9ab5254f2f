import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from './logger.ts';

export interface Running {
  stop(): Promise<void>;
}

/**
 * The `main` of every service: start, then stop cleanly on SIGINT/SIGTERM (drain NATS, close
 * sockets), with a deadline so a stuck dependency cannot keep the process alive forever.
 */
export async function runMain(name: string, start: () => Promise<{ running: Running; log: Logger }>, stopTimeoutMs = 10_000): Promise<void> {
  let started: { running: Running; log: Logger };
  try {
    started = await start();
  } catch (err) {
    // One line that says what is wrong and what to do; the stack only when asked for.
    const message = err instanceof Error ? err.message : String(err);
    console.error(`${name}: cannot start: ${message.replace(/\s*\n\s*/g, '; ')}`);
    if (process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace') console.error(err);
    process.exit(1);
  }
  const { running, log } = started;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown timed out');
      process.exit(1);
    }, stopTimeoutMs);
    timer.unref();
    try {
      await running.stop();
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** Whether the module at `url` is the script node was started with (symlinks and odd paths too). */
export function isMainModule(url: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(fileURLToPath(url)) === realpathSync(script);
  } catch {
    return false;
  }
}
