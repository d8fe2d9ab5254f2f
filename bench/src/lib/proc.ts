import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root: children start there so `--import tsx` and workspace packages resolve. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BENCH_SRC = fileURLToPath(new URL('../', import.meta.url));

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Anonymous resident memory of a process, in bytes (Linux): its heaps and stacks, without the
 * pages of files it maps (its code). This machine's kernel pages out cold file pages on its own
 * (DAMON, `pageout`), so the resident total can fall by megabytes while a process grows.
 */
export function anonymousOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/RssAnon:\s+(\d+)/.exec(status)?.[1]);
  return kb * 1024;
}

/**
 * CPU time all of a process's threads have spent running, in ms (Linux, from the scheduler's own
 * accounting in nanoseconds): exact, where /proc/<pid>/stat's clock ticks are a sample.
 */
export function runTimeMsOf(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e6;
}

export async function waitUntil<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

type Pending = { resolve: (v: any) => void; reject: (e: Error) => void };

/** A TypeScript module in a process of its own, driven by request/reply over the IPC channel. */
export class Child {
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  readonly exited: Promise<number | null>;
  private readonly listeners = new Set<(msg: any) => void>();

  constructor(
    readonly proc: ChildProcess,
    readonly name: string,
  ) {
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.on('message', (msg: any) => {
      if (msg && typeof msg.id === 'number' && this.pending.has(msg.id)) {
        const p = this.pending.get(msg.id)!;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${name}: ${msg.error}`));
        else p.resolve(msg.result);
      } else for (const l of this.listeners) l(msg);
    });
    void this.exited.then((code) => {
      for (const p of this.pending.values()) p.reject(new Error(`${name} exited (${code})`));
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  call<T = any>(cmd: string, args: unknown = {}, timeoutMs = 600_000): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}.${cmd} timed out`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      if (!this.proc.connected) return this.pending.get(id)!.reject(new Error(`${this.name} is gone`));
      this.proc.send({ id, cmd, args }, (err) => err && this.pending.get(id)?.reject(err));
    });
  }

  onMessage(fn: (msg: any) => void): void {
    this.listeners.add(fn);
  }

  /** Waits a moment for the child to leave by itself (it exits after a `stop` command), then ends it. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    await Promise.race([this.exited, sleep(3000)]);
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(t);
  }
}

/** Forks `bench/src/<file>` under tsx with an IPC channel. */
export function forkTs(file: string, env: NodeJS.ProcessEnv = {}, args: string[] = [], quiet = false): Child {
  const proc = fork(fileURLToPath(new URL(`../${file}`, import.meta.url)), args, {
    cwd: ROOT,
    execArgv: [
      '--import',
      'tsx',
      '--max-old-space-size=4096',
      '--expose-gc',
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    ],
    env: { ...process.env, ...env },
    stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'pipe', 'ipc'],
  });
  forwardStderr(proc);
  return new Child(proc, file);
}

// uWS warns once per upgrade answered outside `cork`, which the gateway does on purpose (see its sockets.ts).
const NOISE = /must be made from within a corked callback/;

function forwardStderr(proc: ChildProcess): void {
  let rest = '';
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (!NOISE.test(line)) process.stderr.write(`${line}\n`);
  });
}

/** Spawns a service's own entry point (`node --import tsx services/<name>/src/main.ts`). */
export function spawnService(name: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', `services/${name}/src/main.ts`], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Collects garbage (children run with --expose-gc) and says what memory the process holds. */
export function memory(): NodeJS.MemoryUsage {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage();
}

/** In a child: answers the parent's requests with `handlers`; exits when the parent goes away. */
export function serveParent(handlers: Record<string, (args: any) => unknown>): void {
  handlers = { memory, ...handlers };
  process.on('message', async (msg: any) => {
    if (!msg || typeof msg.id !== 'number') return;
    try {
      const handler = handlers[msg.cmd];
      if (!handler) throw new Error(`unknown command ${msg.cmd}`);
      const result = await handler(msg.args);
      process.send!({ id: msg.id, result: result ?? null });
    } catch (err) {
      process.send!({ id: msg.id, error: err instanceof Error ? `${err.message}` : String(err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
