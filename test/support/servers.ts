import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, jetstreamManager } from '@chat/bus';
import { eventually, freePort } from '@chat/testkit';
import pg from 'pg';

/**
 * Servers of a test's own, on spare loopback ports, that it may kill, pause and restart: never the
 * machine's shared NATS (4222) and Postgres (5432), which other work depends on.
 */

const NATS_BIN = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

const reapOnExit = new Set<() => void>();
process.once('exit', () => {
  for (const reap of reapOnExit) reap();
});

/** Sends a signal to a process, ignoring one that is already gone. */
const signal = (pid: number | undefined, sig: NodeJS.Signals) => {
  if (!pid) return;
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
};

export interface NatsNodeOptions {
  name?: string;
  cluster?: { name: string; port: number; routes: number[] };
  /**
   * A config file to start with (`-c`), e.g. infra/nats/auth.conf; the flags for address, port,
   * JetStream and store directory still apply, and win over the file.
   */
  config?: string;
  /** Environment of the server process (e.g. the passwords a config file refers to). */
  env?: Record<string, string>;
  /** Write the server's log (`-l`) to `logFile` (in the store directory). */
  log?: boolean;
}

/** One nats-server with JetStream in a store directory of its own, which survives its restarts. */
export class NatsNode {
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  readonly storeDir: string;

  private constructor(
    readonly port: number,
    private readonly opts: NatsNodeOptions,
  ) {
    this.storeDir = mkdtempSync(join(tmpdir(), 'chat-nats-'));
  }

  static async start(opts: NatsNodeOptions = {}): Promise<NatsNode> {
    const node = new NatsNode(await freePort(), opts);
    await node.start();
    return node;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Where the server logs, when started with `log: true`. */
  get logFile(): string {
    return join(this.storeDir, 'server.log');
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async start(): Promise<void> {
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir];
    if (this.opts.config) args.unshift('-c', this.opts.config);
    if (this.opts.log) args.push('-l', this.logFile);
    if (this.opts.name) args.push('--server_name', this.opts.name);
    const c = this.opts.cluster;
    if (c) {
      args.push('--cluster_name', c.name, '--cluster', `nats://127.0.0.1:${c.port}`, '--routes', c.routes.map((p) => `nats://127.0.0.1:${p}`).join(','));
    }
    const proc = spawn(NATS_BIN, args, { stdio: 'ignore', env: this.opts.env ? { ...process.env, ...this.opts.env } : process.env });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const reap = () => signal(proc.pid, 'SIGKILL');
    reapOnExit.add(reap);
    void this.exited.then(() => reapOnExit.delete(reap));
    await eventually(async () => (await answers(this.port)) || undefined, `nats-server on ${this.port}`, 15_000);
  }

  /** Stops it: `SIGKILL` for a crash, `SIGTERM` for a clean stop. */
  async stop(sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    signal(this.proc?.pid, sig);
    await this.exited;
    this.proc = null;
  }

  pause(): void {
    signal(this.proc?.pid, 'SIGSTOP');
  }

  resume(): void {
    signal(this.proc?.pid, 'SIGCONT');
  }

  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

/** Whether a nats-server answers on `port` (a NATS INFO line: it may refuse clients without credentials). */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('INFO'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Three JetStream nodes routed to each other; ready once JetStream has a meta leader. */
export class NatsCluster {
  private constructor(readonly nodes: NatsNode[]) {}

  static async start(size = 3): Promise<NatsCluster> {
    const clusterPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
    const nodes = await Promise.all(
      clusterPorts.map((port, i) =>
        NatsNode.start({ name: `n${i + 1}`, cluster: { name: 'chat-faults', port, routes: clusterPorts.filter((p) => p !== port) } }),
      ),
    );
    const cluster = new NatsCluster(nodes);
    await cluster.ready();
    return cluster;
  }

  get url(): string {
    return this.nodes.map((n) => n.url).join(',');
  }

  /** JetStream answers (a meta leader has been elected). */
  async ready(timeoutMs = 30_000): Promise<void> {
    await eventually(
      async () => {
        const nc = await connect({ servers: this.nodes.filter((n) => n.running).map((n) => n.url), timeout: 1000, reconnect: false });
        try {
          await (await jetstreamManager(nc)).getAccountInfo();
          return true;
        } finally {
          await nc.close();
        }
      },
      'a JetStream meta leader',
      timeoutMs,
    );
  }

  /** The node that leads `stream` (its name is `n<i>`). */
  async leaderOf(stream: string): Promise<NatsNode> {
    const nc = await connect({ servers: this.nodes.filter((n) => n.running).map((n) => n.url) });
    try {
      const info = await (await jetstreamManager(nc)).streams.info(stream);
      const name = info.cluster?.leader;
      const node = this.nodes.find((_, i) => `n${i + 1}` === name);
      if (!node) throw new Error(`no leader known for ${stream} (${name})`);
      return node;
    } finally {
      await nc.close();
    }
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.destroy()));
  }
}

/** A Postgres cluster of its own (`initdb` into a temporary directory), run as the postgres user when we are root. */
export class PostgresServer {
  private constructor(
    readonly port: number,
    readonly dataDir: string,
  ) {}

  static async start(): Promise<PostgresServer> {
    const dataDir = mkdtempSync(join(tmpdir(), 'chat-pg-'));
    if (process.getuid?.() === 0) {
      const { uid, gid } = postgresUser();
      chownSync(dataDir, uid, gid);
    }
    run('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    const server = new PostgresServer(await freePort(), dataDir);
    await server.start();
    return server;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** A database URL on this server. */
  database(name: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${name}`;
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dataDir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    run('pg_ctl', ['-D', this.dataDir, '-o', options, '-l', join(this.dataDir, 'server.log'), '-w', '-t', '30', 'start']);
    const reap = () => this.killNow();
    reapOnExit.add(reap);
    await eventually(async () => (await this.answers()) || undefined, `postgres on ${this.port}`, 15_000);
  }

  /** `fast` closes sessions and stops; `immediate` is a crash (recovery on the next start). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    run('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', 'stop']);
  }

  private killNow(): void {
    signal(this.postmasterPid(), 'SIGKILL');
  }

  postmasterPid(): number | undefined {
    try {
      return Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
  }

  async answers(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async destroy(): Promise<void> {
    if (this.postmasterPid()) await this.stop('immediate').catch(() => this.killNow());
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

function postgresUser(): { uid: number; gid: number } {
  return { uid: Number(execFileSync('id', ['-u', 'postgres'])), gid: Number(execFileSync('id', ['-g', 'postgres'])) };
}

/** Runs a Postgres tool: as the postgres user when we are root (initdb refuses root). */
function run(tool: string, args: string[]): void {
  const bin = join(PG_BIN, tool);
  if (process.getuid?.() === 0) execFileSync('runuser', ['-u', 'postgres', '--', bin, ...args], { stdio: 'pipe' });
  else execFileSync(bin, args, { stdio: 'pipe' });
}
