import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventually, freePort } from '@chat/testkit';
import { GENEROUS_LIMITS, type Stack } from './stack.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface GatewayProcess {
  port: number;
  opsPort: number;
  url: string;
  wsUrl: string;
  child: ChildProcess;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** A gateway in a process of its own, so a test can kill it the hard way. */
export async function spawnGateway(
  stack: Stack,
  extra: Record<string, string> = {},
  /** The same ports again: a restart, as a deployment does it. */
  ports?: { port: number; opsPort: number },
): Promise<GatewayProcess> {
  const { port, opsPort } = ports ?? { port: await freePort(), opsPort: await freePort() };
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/gateway/src/main.ts'], {
    cwd: root,
    env: { ...process.env, ...stack.envFor({ ...GENEROUS_LIMITS, ...extra }), PORT: String(port), OPS_PORT: String(opsPort) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A failed test must not leave a gateway running behind it.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  void exited.then(() => process.off('exit', reap));
  await eventually(async () => ((await fetch(`http://127.0.0.1:${opsPort}/readyz`)).ok ? true : undefined), 'gateway process ready', 60_000).catch(
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
