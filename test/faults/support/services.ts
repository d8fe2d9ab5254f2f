import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@chat/testkit';
import { GENEROUS_LIMITS, TEST_SECRET } from '../../support/stack.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const logDir = mkdtempSync(join(tmpdir(), 'chat-faults-logs-'));

export type ServiceName = 'room' | 'profile' | 'projection' | 'gateway';

const reap = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of reap) child.kill('SIGKILL');
});

/**
 * One service in a process of its own (`node --import tsx services/<name>/src/main.ts`), so that a
 * scenario can kill it with -9, pause it with SIGSTOP and start it again on the same ports (clients
 * keep their addresses). An exit nobody asked for is kept in `crashes` with its log's tail: a
 * scenario fails on any (a process that dies of an unhandled error under a fault is a bug).
 */
export class ServiceProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private expectExit = false;
  readonly crashes: string[] = [];
  readonly logFile: string;

  private constructor(
    readonly name: ServiceName,
    readonly label: string,
    readonly port: number,
    readonly opsPort: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.logFile = join(logDir, `${label}.log`);
  }

  static async start(name: ServiceName, label: string, env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
    const port = await freePort();
    const opsPort = name === 'gateway' ? await freePort() : port;
    const service = new ServiceProcess(name, label, port, opsPort, env);
    await service.start();
    return service;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get opsUrl(): string {
    return `http://127.0.0.1:${this.opsPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and waits until its `/readyz` answers 200. */
  async start(timeoutMs = 60_000): Promise<void> {
    const out = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', `services/${this.name}/src/main.ts`], {
      cwd: root,
      env: { ...process.env, ...this.env, PORT: String(this.port), ...(this.name === 'gateway' ? { OPS_PORT: String(this.opsPort) } : {}) },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    this.child = child;
    this.expectExit = false;
    reap.add(child);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, sig) => {
        reap.delete(child);
        if (!this.expectExit) this.crashes.push(`${this.label} exited (${code ?? sig}): ${this.logTail()}`);
        resolve();
      }),
    );
    const deadline = Date.now() + timeoutMs;
    while (!(await this.ready())) {
      if (!this.running) throw new Error(`${this.label} exited while starting: ${this.logTail()}`);
      if (Date.now() > deadline) throw new Error(`${this.label} not ready within ${timeoutMs} ms: ${this.logTail()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async ready(): Promise<boolean> {
    try {
      return (await fetch(`${this.opsUrl}/readyz`, { signal: AbortSignal.timeout(1000) })).status === 200;
    } catch {
      return false;
    }
  }

  /** `SIGKILL` is a crash; `SIGTERM` a clean stop (drain). Resumes a paused process first so it can die. */
  async kill(sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    this.expectExit = true;
    const child = this.child;
    child?.kill(sig);
    if (sig !== 'SIGKILL') child?.kill('SIGCONT');
    // A clean stop that hangs is cut short (and would show in the scenario's recovery).
    const hard = setTimeout(() => child?.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(hard);
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async restart(): Promise<void> {
    await this.kill('SIGKILL');
    await this.start();
  }

  logTail(chars = 1500): string {
    try {
      return readFileSync(this.logFile, 'utf8').slice(-chars);
    } catch {
      return '';
    }
  }
}

export interface ServicesEnv {
  natsUrl: string;
  databaseUrl: string;
  namespace: string;
  replicas: number;
}

/** The environment every service of the fault stack gets (each adds its own ports). */
export const serviceEnv = (e: ServicesEnv, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  NATS_URL: e.natsUrl,
  DATABASE_URL: e.databaseUrl,
  CHAT_NAMESPACE: e.namespace,
  STREAM_REPLICAS: String(e.replicas),
  AUTH_MODE: 'token',
  AUTH_SECRET: TEST_SECRET,
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
  WEB_ROOT: '',
  ...GENEROUS_LIMITS,
  ...extra,
});
