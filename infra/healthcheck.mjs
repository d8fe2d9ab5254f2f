// The image's HEALTHCHECK (infra/Dockerfile): GET /readyz on the ops port of the service this
// container runs: OPS_PORT for the gateway (default 9080), PORT for the others (default 8081,
// 8082, 8083). The service is found from the running process, so it works whichever way it was
// chosen (command or SERVICE=) and whatever ports are set. Exit 0: ready; 1: not (yet).
import { readdirSync, readFileSync } from 'node:fs';

const DEFAULT_OPS_PORT = { room: 8081, profile: 8082, projection: 8083, gateway: 9080 };

function runningService() {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let cmdline;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // gone meanwhile, or not ours
    }
    const match = /services\/(room|profile|projection|gateway)\/dist\/main\.mjs/.exec(cmdline);
    if (match) return match[1];
  }
  return undefined;
}

const service = runningService();
if (!service) {
  console.error('healthcheck: no service is running in this container');
  process.exit(1);
}
const env = process.env;
const port = (service === 'gateway' ? env.OPS_PORT : env.PORT) || DEFAULT_OPS_PORT[service];
// The ops server listens on HOST; a wildcard address is reached over loopback.
const listen = env.HOST || '0.0.0.0';
const host = listen === '0.0.0.0' || listen === '::' ? '127.0.0.1' : listen.includes(':') ? `[${listen}]` : listen;
const url = `http://${host}:${port}/readyz`;

try {
  const res = await fetch(url, { signal: AbortSignal.timeout(2500) });
  if (res.ok) process.exit(0);
  console.error(`healthcheck: ${service} ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
} catch (err) {
  console.error(`healthcheck: ${service} ${url}: ${err instanceof Error ? err.message : err}`);
}
process.exit(1);
