// The image's HEALTHCHECK (infra/Dockerfile): GET /readyz on the ops port of the service this
// container runs: OPS_PORT for the gateway (default 9080), PORT for the others (default 8081,
// 8082, 8083). The service is found from the running process, so it works whichever way it was
// chosen (command or SERVICE=) and whatever ports are set. Exit 0: ready; 1: not (yet).
import { readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';

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

// node:http rather than fetch: fetch loads undici, which costs a busy machine seconds per probe.
const request = get(url, { timeout: 3000 }, (res) => {
  if (res.statusCode === 200) process.exit(0);
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (chunk) => {
    body += chunk;
  });
  res.on('end', () => {
    console.error(`healthcheck: ${service} ${url} answered ${res.statusCode}: ${body.slice(0, 300)}`);
    process.exit(1);
  });
});
request.on('timeout', () => request.destroy(new Error('no answer within 3 s')));
request.on('error', (err) => {
  console.error(`healthcheck: ${service} ${url}: ${err.message}`);
  process.exit(1);
});
