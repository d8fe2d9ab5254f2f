import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// The publishable package: one ESM file (no dependencies: the API's shapes are the SDK's own
// types, see src/wire.ts) and its declarations, in dist/.
const dir = fileURLToPath(new URL('.', import.meta.url));
rmSync(`${dir}/dist`, { recursive: true, force: true });
await build({
  entryPoints: [`${dir}/src/index.ts`],
  outfile: `${dir}/dist/index.js`,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
});
execFileSync(process.execPath, [fileURLToPath(import.meta.resolve('typescript/bin/tsc')), '-p', `${dir}/tsconfig.build.json`], { stdio: 'inherit' });
// Declarations name the JavaScript files (`./room.js`), as any resolver of a published package expects.
for (const file of readdirSync(`${dir}/dist`).filter((f) => f.endsWith('.d.ts'))) {
  const path = `${dir}/dist/${file}`;
  writeFileSync(path, readFileSync(path, 'utf8').replace(/(from '\.\/[\w-]+)\.ts'/g, "$1.js'"));
}
