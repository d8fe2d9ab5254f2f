/**
 * Builds the web app with Vite into `dist/` (or `outDir`), where the gateway serves it from.
 * `pnpm --filter @chat/web build`, `pnpm start` (when dist/ is missing) and the browser tests
 * (into a directory of their own) all build through here.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const webRoot = fileURLToPath(new URL('.', import.meta.url));
export const defaultDist = join(webRoot, 'dist');

export async function buildWeb(outDir: string = defaultDist): Promise<string> {
  const { build } = await import('vite');
  await build({ root: webRoot, configFile: join(webRoot, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return outDir;
}

export const isBuilt = (outDir: string = defaultDist): boolean => existsSync(join(outDir, 'index.html'));

/** Sources the build is made of: the app and the SDK. */
const SOURCES = [join(webRoot, 'index.html'), join(webRoot, 'src'), join(webRoot, 'public'), join(webRoot, '..', '..', 'packages', 'client', 'src')];

/** Missing, or older than one of its sources. */
export function needsBuild(outDir: string = defaultDist): boolean {
  if (!isBuilt(outDir)) return true;
  const built = statSync(join(outDir, 'index.html')).mtimeMs;
  const newer = (path: string): boolean => {
    if (!existsSync(path)) return false;
    const stat = statSync(path);
    if (!stat.isDirectory()) return stat.mtimeMs > built;
    return readdirSync(path).some((name) => newer(join(path, name)));
  };
  return SOURCES.some(newer);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildWeb().then(
    (dir) => console.log(`web app built into ${dir}`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
