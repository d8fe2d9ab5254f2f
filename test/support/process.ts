import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventually, freePort } from '@chat/testkit';
import { GENEROUS_LIMITS, type Stack } from './stack.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface ServiceProcess {
  port: number;
  opsPort: number;
  url: string;
  wsUrl: string;
  child: ChildProcess;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** A gateway in a process of its own, so a test can kill it the hard way. */
export function spawnGateway(
  stack: Stack,
  extra: Record<string, string> = {},
  /** The same ports again: a restart, as a deployment does it. */
  ports?: { port: number; opsPort: number },
): Promise<ServiceProcess> {
  return spawnService(stack, 'gateway', { ...GENEROUS_LIMITS, ...extra }, ports);
}

/** A service run by its own entry point, in a process of its own; ready once its /readyz is. */
export async function spawnService(
  stack: Stack,
  name: 'gateway' | 'projection',
  extra: Record<string, string> = {},
  ports?: { port: number; opsPort: number },
): Promise<ServiceProcess> {
  const { port, opsPort } = ports ?? { port: await freePort(), opsPort: await freePort() };
  // The gateway serves its ops on OPS_PORT; the other services on PORT.
  const readyPort = name === 'gateway' ? opsPort : port;
  const child = spawn(process.execPath, ['--import', 'tsx', `services/${name}/src/main.ts`], {
    cwd: root,
    env: { ...process.env, ...stack.envFor(extra), PORT: String(port), OPS_PORT: String(opsPort) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A failed test must not leave a service running behind it.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  void exited.then(() => process.off('exit', reap));
  await eventually(async () => ((await fetch(`http://127.0.0.1:${readyPort}/readyz`)).ok ? true : undefined), `${name} process ready`, 60_000).catch(
    (err: unknown) => {
      child.kill('SIGKILL');
      throw err;
    },
  );
  return {
    port,
    opsPort,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    child,
    async kill(signal) {
      if (child.exitCode === null) child.kill(signal);
      await exited;
    },
  };
}
