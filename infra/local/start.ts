/**
 * `pnpm start`: the whole stack in one terminal, against the local PostgreSQL and NATS.
 *
 * Checks that both answer, builds the web app if it is missing or stale, starts room, profile
 * and projection, waits for each one's /readyz, then the gateway, and prints the public URL.
 * Ctrl+C (or SIGTERM) stops everything cleanly; if any service dies, the others are stopped and
 * the launcher exits non-zero.
 *
 * Environment: everything is passed through to the services (NATS_URL, DATABASE_URL,
 * CHAT_NAMESPACE, HOST, AUTH_MODE, AUTH_SECRET, LOG_LEVEL, ...). PORT and OPS_PORT are the
 * gateway's (public and ops port, default 8080 and 9080); the other services' ops ports are
 * ROOM_PORT, PROFILE_PORT and PROJECTION_PORT (default 8081, 8082, 8083). Against a NATS with
 * users (infra/nats/auth.conf), export NATS_ROOM_PASSWORD, NATS_PROFILE_PASSWORD,
 * NATS_PROJECTION_PASSWORD and NATS_GATEWAY_PASSWORD: each service then connects as its own user.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const env = process.env;
const root = fileURLToPath(new URL('../../', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');

const PG_START = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
const NATS_START =
  'start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

interface Service {
  name: 'room' | 'profile' | 'projection' | 'gateway';
  /** Extra environment for this service only (its ports). */
  env: Record<string, string>;
  opsPort: number;
  color: number;
  child?: ChildProcess;
  exited?: Promise<number | null>;
}

const portFrom = (name: string, fallback: number): number => {
  const raw = env[name];
  const port = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`${name}=${raw} is not a port number`);
  return port;
};

function fail(message: string): never {
  console.error(`\nstart: ${message}`);
  process.exit(1);
}

// ---- dependencies -------------------------------------------------------------------------

const answers = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });

/** host and port of a URL such as `nats://user:pw@host:4222` or `host:4222`. */
function endpoint(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url.includes('://') ? url : `tcp://${url}`);
  return { host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(parsed.port) || defaultPort };
}

async function checkDependencies(): Promise<void> {
  const databaseUrl = env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/chat';
  const natsUrl = env.NATS_URL || 'nats://127.0.0.1:4222';
  const pg = endpoint(databaseUrl, 5432);
  const nats = natsUrl.split(',').map((u) => endpoint(u.trim(), 4222));
  const [pgUp, natsUp] = await Promise.all([answers(pg.host, pg.port), Promise.all(nats.map((n) => answers(n.host, n.port))).then((up) => up.some(Boolean))]);
  const problems: string[] = [];
  if (!pgUp) {
    problems.push(`PostgreSQL does not answer at ${pg.host}:${pg.port} (DATABASE_URL).\n  Start the local one with:\n    ${PG_START}`);
  }
  if (!natsUp) {
    problems.push(`NATS does not answer at ${nats.map((n) => `${n.host}:${n.port}`).join(', ')} (NATS_URL).\n  Start the local one with:\n    ${NATS_START}`);
  }
  if (problems.length > 0) fail(`cannot start the stack:\n\n${problems.join('\n\n')}\n`);
}

// ---- children -----------------------------------------------------------------------------

const tty = process.stdout.isTTY === true;
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** `[room] 12:00:01 INFO  message {rest}` on a terminal; the raw pino JSON line otherwise. */
function format(service: Service, line: string): string {
  const tag = tty ? `\x1b[${service.color}m[${service.name}]\x1b[0m` : `[${service.name}]`;
  if (!tty || !line.startsWith('{')) return `${tag} ${line}`;
  try {
    const { level, time, msg, pid: _pid, hostname: _host, name: _name, ...rest } = JSON.parse(line) as Record<string, unknown>;
    const when = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
    const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    return `${tag} ${when} ${(LEVELS[Number(level)] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${extra}`;
  } catch {
    return `${tag} ${line}`;
  }
}

function spawnService(service: Service, secret: string | undefined): void {
  const entry = `${root}services/${service.name}/src/main.ts`;
  const child = spawn(process.execPath, ['--import', tsxLoader, entry], {
    cwd: root,
    env: { ...env, ...(secret ? { AUTH_SECRET: secret } : {}), ...service.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => console.log(format(service, line)));
  }
  service.child = child;
  service.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      console.log(`start: ${service.name} exited (${signal ?? `code ${code}`})`);
      resolve(code);
      onChildExit(service, code, signal);
    });
    child.once('error', (err) => {
      console.error(`start: could not run ${service.name}: ${err.message}`);
      resolve(1);
      onChildExit(service, 1, null);
    });
  });
}

async function waitReady(service: Service, host: string): Promise<void> {
  const url = `http://${host}:${service.opsPort}/readyz`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!stopping) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      console.error(`start: ${service.name} is not ready after ${READY_TIMEOUT_MS / 1000}s (${url})`);
      return shutdown(1);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  // Stopping (a child died or a signal came): shutdown() ends the process.
  await new Promise(() => undefined);
}

// ---- stopping -----------------------------------------------------------------------------

let stopping = false;
let services: Service[] = [];

function onChildExit(service: Service, code: number | null, signal: NodeJS.Signals | null): void {
  if (stopping) return;
  console.error(`start: ${service.name} stopped unexpectedly (${signal ?? `code ${code}`}); stopping the others`);
  void shutdown(1);
}

const running = (s: Service) => s.child !== undefined && s.child.exitCode === null && s.child.signalCode === null;

async function stopAll(list: Service[]): Promise<boolean> {
  for (const s of list) if (running(s)) s.child?.kill('SIGTERM');
  const codes = await Promise.all(list.map((s) => s.exited ?? Promise.resolve(0)));
  return codes.every((c) => c === 0);
}

async function shutdown(code: number, why?: string): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (why) console.log(`start: ${why}; stopping the services`);
    const timer = setTimeout(() => {
      console.error(`start: services did not stop within ${STOP_TIMEOUT_MS / 1000}s; killing them`);
      for (const s of services) if (running(s)) s.child?.kill('SIGKILL');
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    // The gateway first, so no request reaches a service that is going away.
    const gateway = services.filter((s) => s.name === 'gateway');
    const cleanGateway = await stopAll(gateway);
    const cleanRest = await stopAll(services.filter((s) => s.name !== 'gateway'));
    clearTimeout(timer);
    console.log('start: all services stopped');
    process.exit(cleanGateway && cleanRest ? code : Math.max(code, 1));
  }
  return new Promise<never>(() => undefined);
}

/**
 * `pnpm start` runs us as pnpm → sh -c → tsx → us, and a SIGTERM sent to pnpm kills that shell
 * without reaching us. So we also stop when one of those wrappers goes away (Linux, from /proc);
 * never because of the user's own shell (`nohup pnpm start &` must survive logging out).
 */
function watchWrappers(): void {
  const read = (pid: number): { ppid: number; started: string; cmd: string } | null => {
    try {
      // The fields after `(comm)`: state, ppid, ... starttime is the 20th of them.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
        .replace(/^.*\) /s, '')
        .split(' ');
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      return { ppid: Number(fields[1]), started: fields[19] ?? '', cmd };
    } catch {
      return null;
    }
  };
  const chain: { pid: number; started: string; cmd: string }[] = [];
  for (let pid = process.ppid; pid > 1 && chain.length < 3; ) {
    const info = read(pid);
    if (!info) break;
    chain.push({ pid, ...info });
    if (/\bp?npm\b/.test(info.cmd)) break;
    pid = info.ppid;
  }
  const managed = chain.some((a) => /\bp?npm\b/.test(a.cmd));
  const watched = managed ? chain : chain.filter((a) => a.cmd.includes('tsx')).slice(0, 1);
  const timer = setInterval(() => {
    const gone = watched.find((a) => read(a.pid)?.started !== a.started);
    if (gone) void shutdown(0, `parent process ${gone.pid} is gone`);
  }, 1000);
  timer.unref();
}

// ---- web app ------------------------------------------------------------------------------

/**
 * The gateway serves the web app from apps/web/dist: build it when it is missing or older than
 * its sources. With WEB_ROOT set, the operator serves their own build and nothing is built here.
 */
async function ensureWebApp(): Promise<void> {
  if (env.WEB_ROOT !== undefined) return;
  const web = await import('@chat/web/build');
  if (!web.needsBuild()) return;
  console.log('start: building the web app (apps/web)…');
  try {
    await web.buildWeb();
  } catch (err) {
    // The API works without it; say so and go on.
    console.error(`start: the web app did not build (${err instanceof Error ? err.message : String(err)}); / will answer 404`);
  }
}

// ---- main ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  const mode = env.AUTH_MODE || 'token';
  const host = env.HOST || '127.0.0.1';
  // Where to reach a service listening on HOST: a wildcard address is reached on loopback.
  const reach = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const publicPort = portFrom('PORT', 8080);

  services = [
    { name: 'room', opsPort: portFrom('ROOM_PORT', 8081), color: 36, env: {} },
    { name: 'profile', opsPort: portFrom('PROFILE_PORT', 8082), color: 35, env: {} },
    { name: 'projection', opsPort: portFrom('PROJECTION_PORT', 8083), color: 33, env: {} },
    { name: 'gateway', opsPort: portFrom('OPS_PORT', 9080), color: 32, env: {} },
  ];
  for (const s of services) s.env = s.name === 'gateway' ? { PORT: String(publicPort), OPS_PORT: String(s.opsPort) } : { PORT: String(s.opsPort) };
  // So that memory used by large avatar decodes is given back (see ALLOCATOR_ENV in services/profile).
  Object.assign(services.find((s) => s.name === 'profile')!.env, { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '1048576' });
  // Each service as its own NATS user when its password is given (infra/nats/auth.conf).
  for (const s of services) {
    const password = env[`NATS_${s.name.toUpperCase()}_PASSWORD`];
    if (password) Object.assign(s.env, { NATS_USER: s.name, NATS_PASSWORD: password });
  }

  if (mode !== 'token' && mode !== 'open') fail(`AUTH_MODE must be token or open (got "${mode}")`);
  if (mode === 'token' && env.AUTH_SECRET && env.AUTH_SECRET.length < 32) fail('AUTH_SECRET must be at least 32 characters');

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0, signal));
  watchWrappers();

  await checkDependencies();

  let secret: string | undefined;
  if (mode === 'token' && !env.AUTH_SECRET) {
    secret = randomBytes(32).toString('base64url');
    console.warn(
      'start: WARNING: AUTH_SECRET is not set; using a random secret for this run only.\n' +
        '       Session tokens will not survive a restart. Set AUTH_SECRET (32+ characters) to keep them.',
    );
  }

  await ensureWebApp();

  // room, profile and projection together; the gateway once all three are ready.
  const start = async (s: Service) => {
    spawnService(s, secret);
    await waitReady(s, reach);
    console.log(`start: ${s.name} ready (ops http://${reach}:${s.opsPort})`);
  };
  await Promise.all(services.filter((s) => s.name !== 'gateway').map(start));
  await Promise.all(services.filter((s) => s.name === 'gateway').map(start));
  console.log(`\nchat stack ready: http://${reach}:${publicPort} (AUTH_MODE=${mode})\n`);
}

main().catch((err: unknown) => {
  console.error('start: failed:', err);
  void shutdown(1);
});
