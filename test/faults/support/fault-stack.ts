import { createTestEnv, type TestEnv } from '@chat/testkit';
import { NatsCluster, NatsNode, PostgresServer } from '../../support/servers.ts';
import { type ServiceName, ServiceProcess, serviceEnv } from './services.ts';

/**
 * The whole system on servers of its own, every service a process of its own: one room, profile
 * and projection copy and two gateways (clients use both, so a socket of a killed gateway resumes
 * on the other). `copies: 2` runs two of every service (issue 13, item 3).
 */
export class FaultStack {
  private constructor(
    readonly nats: NatsNode | NatsCluster,
    readonly postgres: PostgresServer,
    readonly env: TestEnv,
    readonly replicas: number,
    readonly services: Record<ServiceName, ServiceProcess[]>,
  ) {}

  static async start(opts: { cluster?: boolean; copies?: number } = {}): Promise<FaultStack> {
    const [nats, postgres] = await Promise.all([opts.cluster ? NatsCluster.start(3) : NatsNode.start(), PostgresServer.start()]);
    const env = await createTestEnv({ natsUrl: nats.url, postgresUrl: postgres.url });
    const replicas = opts.cluster ? 3 : 1;
    const copies = opts.copies ?? 1;
    const services: Record<ServiceName, ServiceProcess[]> = { room: [], profile: [], projection: [], gateway: [] };
    const stack = new FaultStack(nats, postgres, env, replicas, services);
    // The room service creates the stream and buckets; the others wait for them.
    for (const name of ['room', 'profile', 'projection', 'gateway'] as const) {
      const n = name === 'gateway' ? Math.max(2, copies) : copies;
      for (let i = 0; i < n; i++) await stack.spawn(name);
    }
    return stack;
  }

  private spawned = 0;

  /** One more copy of a service (a standby, say); stopped with the stack. */
  async spawn(name: ServiceName): Promise<ServiceProcess> {
    const e = { natsUrl: this.env.natsUrl, databaseUrl: this.env.databaseUrl, namespace: this.env.namespace, replicas: this.replicas };
    const service = await ServiceProcess.start(name, `${name}-${++this.spawned}`, serviceEnv(e));
    this.services[name].push(service);
    return service;
  }

  /** Stops a copy cleanly (SIGTERM: drained, its lease released) and forgets it. */
  async retire(service: ServiceProcess): Promise<void> {
    await service.kill('SIGTERM');
    const list = this.services[service.name];
    list.splice(list.indexOf(service), 1);
  }

  get all(): ServiceProcess[] {
    return Object.values(this.services).flat();
  }

  get gateways(): ServiceProcess[] {
    return this.services.gateway;
  }

  /** Unexpected exits since the last call (a crash is a bug, whatever the fault). */
  takeCrashes(): string[] {
    return this.all.flatMap((s) => s.crashes.splice(0));
  }

  /** Starts again any copy that died by itself, so that one failed scenario does not fail the next. */
  async revive(): Promise<void> {
    for (const s of this.all) if (!s.running) await s.start().catch(() => undefined);
  }

  /** Waits until every service answers ready (after a fault has healed). */
  async allReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const s of this.all) {
      while (!(await s.ready())) {
        if (Date.now() > deadline) throw new Error(`${s.label} not ready ${timeoutMs} ms after the fault: ${s.logTail()}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  async stop(): Promise<void> {
    for (const s of [...this.all].reverse()) await s.kill('SIGKILL');
    await this.env.cleanup().catch(() => undefined);
    await Promise.all([this.nats.destroy(), this.postgres.destroy()]);
  }
}
