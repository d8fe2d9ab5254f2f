/**
 * Assembles what the image runs, from a `pnpm build`: compiled JavaScript and production
 * dependencies only (no TypeScript, tsx, Vite or test tools), laid out as
 *
 *   <out>/services/<name>/dist/main.mjs      the bundle (infra/build/services.ts)
 *   <out>/services/<name>/node_modules/      that service's production dependencies, from the lockfile
 *   <out>/apps/web/dist/                     the web app the gateway serves (WEB_ROOT)
 *
 * Each service gets its own flat node_modules (`pnpm deploy --prod`, hoisted), so a bundle finds
 * every third-party package its workspace packages import, at the version the lockfile gives them.
 * Then it checks the result: each bundle's externals.json against what Node resolves from the
 * bundle, that each bundle loads (every import links, native modules included), and that
 * uWebSockets.js loads its native binary.
 *
 *   tsx infra/build/assemble.ts <out>        (infra/Dockerfile runs it; `pnpm assemble <out>`)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SERVICES, type ServiceName } from './services.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${output}`);
  }
  return output;
}

/** Leaves out what a bundle never loads: the workspace packages (bundled), types, tool links. */
function prune(nodeModules: string): void {
  for (const name of ['@chat', '@types', '.bin', '.pnpm', '.modules.yaml', '.pnpm-workspace-state-v1.json']) {
    rmSync(join(nodeModules, name), { recursive: true, force: true });
  }
  // TypeScript sources and declarations that some packages ship next to their JavaScript.
  for (const entry of readdirSync(nodeModules, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && /\.[mc]?ts$/.test(entry.name)) rmSync(join(entry.parentPath, entry.name));
  }
  // uWebSockets.js ships a binary per platform and Node ABI (18 of them, 113 MB); this Node needs one.
  const uwsBinaries = join(nodeModules, 'uWebSockets.js', 'binaries');
  if (existsSync(uwsBinaries)) {
    const keep = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
    if (!existsSync(join(uwsBinaries, keep))) throw new Error(`uWebSockets.js has no ${keep} for this Node (${process.version})`);
    for (const file of readdirSync(uwsBinaries)) if (file !== keep) rmSync(join(uwsBinaries, file));
  }
}

function deploy(service: ServiceName, out: string): void {
  const staging = join(out, '.deploy', service);
  // inject-workspace-packages: pnpm 10 deploys from the shared lockfile only with it (without it,
  // `deploy --legacy` resolves versions afresh). hoisted: one flat node_modules per service.
  run(
    'pnpm',
    [
      '--config.inject-workspace-packages=true',
      '--config.node-linker=hoisted',
      `--filter=@chat/${service}`,
      'deploy',
      '--prod',
      '--prefer-offline',
      '--frozen-lockfile',
      staging,
    ],
    root,
  );
  const target = join(out, 'services', service);
  mkdirSync(target, { recursive: true });
  cpSync(join(staging, 'node_modules'), join(target, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  prune(join(target, 'node_modules'));
  cpSync(join(root, 'services', service, 'dist'), join(target, 'dist'), { recursive: true });
}

/** The version of `name` that Node finds from `fromDir`, or undefined. */
function versionFrom(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = resolve(dir, '..')) {
    const manifest = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version;
    if (resolve(dir, '..') === dir) return undefined;
  }
}

function check(out: string): void {
  const problems: string[] = [];
  for (const service of SERVICES) {
    const dist = join(out, 'services', service, 'dist');
    const externals = JSON.parse(readFileSync(join(dist, 'externals.json'), 'utf8')) as Record<string, string>;
    for (const [name, version] of Object.entries(externals)) {
      const found = versionFrom(name, dist);
      if (found !== version) problems.push(`${service}: ${name} ${found ?? 'is missing'}, the sources were built against ${version}`);
    }
    // Importing the bundle links every import and runs module-level code (native addons such as
    // sharp load here), without starting the service (it starts only as node's main script).
    const load = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(dist, 'main.mjs')).href)})`], {
      cwd: out,
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (load.status !== 0) problems.push(`${service}: the bundle does not load:\n${load.stderr}`);
  }
  // The gateway refuses uWebSockets.js' JavaScript fallback; check the native binary loads here.
  const uws = spawnSync(
    process.execPath,
    [
      '-e',
      `const uws = require('module').createRequire(${JSON.stringify(join(out, 'services', 'gateway', 'dist', 'main.mjs'))})('uWebSockets.js');` +
        `if (!Function.prototype.toString.call(uws.App).includes('[native code]')) process.exit(3);`,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (uws.status !== 0) problems.push(`gateway: uWebSockets.js does not load natively on Node ${process.version}:\n${uws.stdout}${uws.stderr}`);
  if (problems.length > 0) throw new Error(`the assembled tree in ${out} is not right:\n  ${problems.join('\n  ')}`);
}

export function assemble(out: string): void {
  for (const service of SERVICES) {
    if (!existsSync(join(root, 'services', service, 'dist', 'main.mjs'))) throw new Error(`services/${service}/dist is missing: run pnpm build first`);
  }
  const web = join(root, 'apps', 'web', 'dist');
  if (!existsSync(join(web, 'index.html'))) throw new Error('apps/web/dist is missing: run pnpm build first');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const service of SERVICES) deploy(service, out);
  rmSync(join(out, '.deploy'), { recursive: true, force: true });
  cpSync(web, join(out, 'apps', 'web', 'dist'), { recursive: true });
  check(out);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: tsx infra/build/assemble.ts <out>');
    process.exit(64);
  }
  try {
    const started = performance.now();
    assemble(resolve(out));
    console.log(`assembled ${resolve(out)} in ${Math.round(performance.now() - started)} ms: ${SERVICES.join(', ')} and the web app; every bundle loads`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
