import { defineConfig } from 'vite';

// The gateway serves dist/ at / under a strict Content-Security-Policy (default-src 'self'), so
// the build must need nothing inline and nothing from another host.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No data: URIs for assets: every file is a file, with its hash in its name.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    // `pnpm --filter @chat/web dev`: the app with hot reload, the API from a running stack.
    proxy: {
      '^/(users|rooms|avatars|me)(/|$)': { target: process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080' },
      '/ws': { target: (process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080').replace(/^http/, 'ws'), ws: true },
    },
  },
});
