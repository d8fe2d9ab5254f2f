import { call, connect, type NatsConnection } from '@chat/bus';
import { subjects, type Subjects } from '@chat/contracts';
import { createTestEnv, type TestEnv } from '@chat/testkit';
import { type Child, forkTs, waitUntil } from './proc.ts';

export const BENCH_SECRET = 'bench-secret-that-is-at-least-32-characters-long';

export interface BenchUser {
  id: string;
  token: string;
}

export interface ServiceHandle {
  child: Child;
  port: number | null;
  opsPort: number;
  opsUrl: string;
}

/**
 * The system under test, each part in a process of its own (room + profile, projection, gateway),
 * in a fresh namespace and database against the local NATS and Postgres.
 */
export class System {
  readonly hosts: Child[] = [];
  gateway: ServiceHandle | null = null;
  projection: ServiceHandle | null = null;

  private constructor(
    readonly env: TestEnv,
    readonly s: Subjects,
    readonly nc: NatsConnection,
  ) {}

  static async create(): Promise<System> {
    const env = await createTestEnv();
    const nc = await connect({ servers: env.natsUrl, name: 'bench-runner', noAsyncTraces: true });
    return new System(env, subjects(env.namespace), nc);
  }

  envFor(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      NATS_URL: this.env.natsUrl,
      DATABASE_URL: this.env.databaseUrl,
      CHAT_NAMESPACE: this.env.namespace,
      PORT: '0',
      OPS_PORT: '0',
      AUTH_MODE: 'token',
      AUTH_SECRET: BENCH_SECRET,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
      ...extra,
    };
  }

  /** Starts `names` together in one new process. */
  async startHost(names: string[], extra: Record<string, string> = {}, beforeStart?: (child: Child) => void): Promise<ServiceHandle> {
    // Quiet stdout: uWS prints a warning per upgrade written outside cork (the gateway does so on purpose).
    const child = forkTs('service-host.ts', {}, [], true);
    this.hosts.push(child);
    for (const name of names) await child.call('load', { name }, 60_000);
    beforeStart?.(child);
    let last: { port: number | null; opsPort: number } = { port: null, opsPort: 0 };
    for (const name of names) last = await child.call('start', { name, env: this.envFor(extra), alone: names.length === 1 }, 60_000);
    return { child, ...last, opsUrl: `http://127.0.0.1:${last.opsPort}` };
  }

  /** room + profile, projection, gateway: three processes. */
  async startAll(gatewayEnv: Record<string, string> = {}): Promise<void> {
    await this.startHost(['room', 'profile']);
    this.projection = await this.startHost(['projection']);
    await this.startGateway(gatewayEnv);
  }

  async startGateway(extra: Record<string, string> = {}): Promise<ServiceHandle> {
    this.gateway = await this.startHost(['gateway'], {
      POSTS_PER_SECOND: '100000',
      FRAMES_PER_SECOND: '100000',
      MAX_SOCKETS_PER_USER: '1000',
      // Every bench client comes from 127.0.0.1: the per-address creation limits would refuse them.
      SIGNUPS_PER_MINUTE: '1000000',
      ROOMS_PER_MINUTE: '1000000',
      JOINS_PER_MINUTE: '1000000',
      ...extra,
    });
    return this.gateway;
  }

  /** Stops the gateway and starts a fresh one (a memory measurement wants a process that has served nothing). */
  async restartGateway(extra: Record<string, string> = {}): Promise<ServiceHandle> {
    const old = this.gateway;
    if (old) {
      await old.child.call('stop', {}, 15_000).catch(() => undefined);
      await old.child.stop();
      this.hosts.splice(this.hosts.indexOf(old.child), 1);
    }
    return this.startGateway(extra);
  }

  get url(): string {
    return `http://127.0.0.1:${this.gateway!.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.gateway!.port}`;
  }

  async http<T = any>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Registers `n` users through the public API, `parallel` at a time. */
  async registerUsers(n: number, prefix = 'bench', parallel = 16): Promise<BenchUser[]> {
    const users: BenchUser[] = new Array(n);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(parallel, n) }, async () => {
        while (next < n) {
          const i = next++;
          const res = await this.http('POST', '/users', { username: `${prefix} ${i}` });
          if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
          users[i] = { id: res.body.user.id, token: res.body.token };
        }
      }),
    );
    return users;
  }

  async join(user: BenchUser, roomId: string): Promise<void> {
    const res = await this.http('POST', `/rooms/${roomId}/join`, { user_id: user.id }, user.token);
    if (res.status !== 200) throw new Error(`join failed: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /** Every user joins every room, `parallel` joins at a time. */
  async joinAll(users: BenchUser[], rooms: string[], parallel = 16): Promise<void> {
    const pairs = rooms.flatMap((r) => users.map((u) => [u, r] as const));
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(parallel, pairs.length) }, async () => {
        while (next < pairs.length) {
          const [u, r] = pairs[next++]!;
          await this.join(u, r);
        }
      }),
    );
  }

  wsPath(roomId: string, user: BenchUser, query: Record<string, string> = {}): string {
    return `${this.wsUrl}/ws/${roomId}/${user.id}?${new URLSearchParams({ token: user.token, ...query })}`;
  }

  /** Posts straight to the room service; returns the message's seq. */
  async post(roomId: string, userId: string, content: string, clientMsgId: string): Promise<number> {
    const r = await call(this.nc, this.s, 'postMessage', { room_id: roomId, user_id: userId, content, client_msg_id: clientMsgId });
    return r.seq;
  }

  async lag(): Promise<{ position: number; stream_last_seq: number; lag: number }> {
    return (await fetch(`${this.projection!.opsUrl}/admin/lag`)).json() as Promise<{ position: number; stream_last_seq: number; lag: number }>;
  }

  async caughtUp(timeoutMs = 60_000): Promise<void> {
    await waitUntil('projection caught up', async () => ((await this.lag()).lag === 0 ? true : undefined), timeoutMs);
  }

  async stop(): Promise<void> {
    for (const h of [...this.hosts].reverse()) {
      await h.call('stop', {}, 15_000).catch(() => undefined);
      await h.stop();
    }
    await this.nc.close().catch(() => undefined);
    await this.env.cleanup().catch(() => undefined);
  }
}
