import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Lowers this process's CPU priority to `nice` (never raises it): for a service off the live
 * path, so that where it shares cores with the live path, the live path is served first. On Linux
 * a nice value belongs to each thread, so every thread there is set (V8's and libuv's helpers
 * started before this call, too). Returns the threads it could not set.
 */
export function lowerPriority(nice: number): number {
  if (nice <= getPriority()) return 0;
  let tasks: number[];
  try {
    tasks = readdirSync('/proc/self/task').map(Number);
  } catch {
    // Not Linux: the process as a whole.
    setPriority(nice);
    return 0;
  }
  let failed = 0;
  for (const task of tasks) {
    try {
      setPriority(task, nice);
    } catch {
      failed++;
    }
  }
  return failed;
}
