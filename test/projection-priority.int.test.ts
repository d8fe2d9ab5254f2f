import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnService } from './support/process.ts';
import { type Stack, startStack } from './support/stack.ts';

// Before any service starts in this process.
const ours = getPriority();
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** The nice value of each of a process's threads (Linux: a nice value is a thread's). */
const niceOfThreads = (pid: number) =>
  readdirSync(`/proc/${pid}/task`).map((task) => Number(readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]));

describe('the projection, off the live path, yields the CPU to it', () => {
  it('run by its entry point, every thread of it takes PROJECTION_NICE (10 by default); 0 leaves it as is', async () => {
    const lowered = await spawnService(stack, 'projection');
    const asIs = await spawnService(stack, 'projection', { PROJECTION_NICE: '0' });
    try {
      const threads = niceOfThreads(lowered.child.pid!);
      expect(threads.length).toBeGreaterThan(1);
      expect(new Set(threads)).toEqual(new Set([10]));
      expect(new Set(niceOfThreads(asIs.child.pid!))).toEqual(new Set([ours]));
    } finally {
      await lowered.kill('SIGTERM');
      await asIs.kill('SIGTERM');
    }
  });

  it('started inside another process (as these tests run every service), it leaves that process alone', () => {
    expect(getPriority()).toBe(ours);
    expect(new Set(niceOfThreads(process.pid))).toEqual(new Set([ours]));
  });
});
