/**
 * Builds the web app with Vite into `dist/` (or `outDir`), where the gateway serves it from.
 * `pnpm --filter @chat/web build`, `pnpm start` (when dist/ is missing) and the browser tests
 * (into a directory of their own) all build through here.
 */
import { existsSync } from 'node:fs';
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

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildWeb().then(
    (dir) => console.log(`web app built into ${dir}`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
