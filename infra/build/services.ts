/**
 * Compiles the four services to JavaScript: `services/<name>/dist/main.mjs`, one ESM file each
 * (with a source map that names the TypeScript files, without their text), run by plain
 * `node services/<name>/dist/main.mjs`. `pnpm build` runs this, then builds the web app.
 *
 * The workspace packages (`@chat/*`) are bundled in. Third-party npm packages stay external: the
 * image installs them as production dependencies next to the bundles (native binaries such as
 * sharp's and uWebSockets.js' must match the platform they run on). Each bundle's
 * `dist/externals.json` lists the packages it loads and the version the sources resolve here, so
 * the image can check (infra/build/check-bundles.mjs) that its production install gives every
 * bundle exactly the versions it was tested with.
 *
 *   tsx infra/build/services.ts [room profile projection gateway]
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const SERVICES = ['room', 'profile', 'projection', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

/**
 * Packages loaded at run time in a way esbuild cannot see (a `require` made by `createRequire`),
 * named here so the image installs and checks them too.
 */
const LOADED_AT_RUN_TIME: Partial<Record<ServiceName, string[]>> = {
  // services/gateway/src/uws.ts, so that it can refuse the package's JavaScript fallback.
  gateway: ['uWebSockets.js'],
};

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
const packageName = (specifier: string): string => {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
};

const isWorkspacePackage = (specifier: string): boolean => specifier.startsWith('@chat/');

/** Bare imports of anything but `@chat/*` and Node's own modules are left to `node_modules`. */
const externalPackages: Plugin = {
  name: 'external-npm-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (isWorkspacePackage(args.path) || isBuiltin(args.path)) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/** The `package.json` that `name` resolves to from `fromDir`, the way Node looks it up. */
function installedPackage(name: string, fromDir: string): { version: string; dir: string } {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as { version?: string };
      return { version: manifest.version ?? '0.0.0', dir: realpathSync(dirname(candidate)) };
    }
    if (dirname(dir) === dir) throw new Error(`${name} is not installed (looked up from ${fromDir}); run pnpm install`);
  }
}

/**
 * Every external package the bundle imports, with the version its importers resolve. One bundle
 * is served by one node_modules, so two importers resolving two versions of a package is an error.
 */
function externalsOf(service: ServiceName, metafile: Metafile): Record<string, string> {
  const found = new Map<string, { version: string; dir: string; importer: string }>();
  const note = (name: string, importer: string) => {
    const resolved = installedPackage(name, dirname(join(root, importer)));
    const seen = found.get(name);
    if (seen && seen.dir !== resolved.dir) {
      throw new Error(
        `services/${service}: ${name} resolves to ${seen.version} from ${seen.importer} but to ${resolved.version} from ${importer}; ` +
          'a bundle loads one copy of each package: use one version of it in the workspace',
      );
    }
    if (!seen) found.set(name, { ...resolved, importer });
  };
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    for (const imported of imports) {
      // `<runtime>` is esbuild's own helpers (keepNames), not a package.
      if (imported.external && !isBuiltin(imported.path) && !imported.path.startsWith('<')) note(packageName(imported.path), input);
    }
  }
  for (const name of LOADED_AT_RUN_TIME[service] ?? []) note(name, `services/${service}/src/main.ts`);
  return Object.fromEntries([...found.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, { version }]) => [name, version]));
}

export async function buildService(service: ServiceName): Promise<{ outfile: string; externals: Record<string, string> }> {
  const outdir = join(root, 'services', service, 'dist');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'main.mjs');
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'services', service, 'src', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Class and function names stay as written (logs and errors print them).
    keepNames: true,
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    logLevel: 'warning',
    plugins: [externalPackages],
    banner: { js: `// services/${service}: compiled by infra/build/services.ts; third-party packages come from node_modules.` },
  });
  const externals = externalsOf(service, result.metafile);
  writeFileSync(join(outdir, 'externals.json'), `${JSON.stringify(externals, null, 2)}\n`);
  return { outfile, externals };
}

async function main(names: string[]): Promise<void> {
  const unknown = names.filter((name) => !(SERVICES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown service(s): ${unknown.join(', ')} (choose from ${SERVICES.join(', ')})`);
  const chosen = (names.length > 0 ? names : SERVICES) as ServiceName[];
  for (const service of chosen) {
    const started = performance.now();
    const { outfile, externals } = await buildService(service);
    const ms = Math.round(performance.now() - started);
    console.log(`${relative(root, outfile)} (${ms} ms); from node_modules: ${Object.keys(externals).join(', ')}`);
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
