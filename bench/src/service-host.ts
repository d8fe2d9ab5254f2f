/** Runs services of the system (their own `start(env)`) in this process, for the runner. */
import { serveParent } from './lib/proc.ts';

type Booted = { info: Record<string, unknown>; opsPort: number; running: { stop(): Promise<void> } };
const running: Booted[] = [];

type Start = (env: NodeJS.ProcessEnv, opts?: { ownProcess?: boolean }) => Promise<Booted>;
const loaders: Record<string, () => Promise<{ start: Start }>> = {
  room: () => import('@chat/room'),
  profile: () => import('@chat/profile'),
  projection: () => import('@chat/projection'),
  gateway: () => import('@chat/gateway'),
};

serveParent({
  /** Loads a service's code without starting it, so a timed start does not count module loading. */
  async load(a: { name: string }) {
    await loaders[a.name]!();
    return {};
  },
  /** `alone`: the only service in this process, as its own entry point runs it (the projection then lowers its priority). */
  async start(a: { name: string; env: NodeJS.ProcessEnv; alone: boolean }) {
    const { start } = await loaders[a.name]!();
    const svc = await start(a.env, { ownProcess: a.alone });
    running.push(svc);
    return { port: svc.info.port ?? null, opsPort: svc.opsPort };
  },
  async stop() {
    for (const s of running.reverse()) await s.running.stop().catch(() => undefined);
    running.length = 0;
    setTimeout(() => process.exit(0), 10);
    return {};
  },
});
