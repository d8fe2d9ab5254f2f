import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/stack.ts';

// The SDK as a user of the published package gets it: `pnpm pack`, installed offline into a
// project of its own outside the workspace, and used from plain Node (no tsx, no TypeScript
// sources, nothing of the workspace) against the real stack; its declarations checked on their own.

const run = promisify(execFile);
const root = fileURLToPath(new URL('../', import.meta.url));
const require = createRequire(import.meta.url);

let stack: Stack;
let dir: string;
let project: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sdk-pack-'));
  project = join(dir, 'app');
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed SDK', () => {
  it('packs to a tarball of built files only, installs offline, and works from plain Node', async () => {
    await run('pnpm', ['pack', '--pack-destination', dir], { cwd: join(root, 'packages/client') });
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tgz).toMatch(/^chat-client-[\d.]+\.tgz$/);

    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
    // Offline: the package must need nothing from a registry.
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(dir, tgz!)], { cwd: project });
    const installed = join(project, 'node_modules/@chat/client');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
    expect(readdirSync(installed).sort()).toEqual(['LICENSE', 'README.md', 'dist', 'package.json']);
    const dist = readdirSync(join(installed, 'dist'));
    expect(dist).toContain('index.js');
    expect(dist).toContain('index.d.ts');
    expect(dist.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    // Only node_modules/@chat/client was installed: nothing else came with it.
    expect(readdirSync(join(project, 'node_modules')).filter((f) => !f.startsWith('.'))).toEqual(['@chat']);

    // Plain Node 20: the `ws` package as the WebSocket (a user's project installs its own; this
    // one is the workspace's), and a second client with none at all, which long-polls.
    const script = `
      import { ChatClient, isAccepted } from '@chat/client';
      const { default: WebSocket } = await import(process.env.WS_MODULE);
      const base = process.env.GATEWAY;
      const until = (what, ok) => new Promise((resolve, reject) => {
        const started = Date.now();
        const t = setInterval(() => {
          if (ok()) { clearInterval(t); resolve(); }
          else if (Date.now() - started > 15000) { clearInterval(t); reject(new Error('timed out: ' + what)); }
        }, 20);
      });
      const ada = new ChatClient({ baseUrl: base, WebSocket });
      const bo = new ChatClient({ baseUrl: base });
      await ada.register('Packed Ada');
      await bo.register('Packed Bo');
      await ada.join('packed');
      await bo.join('packed');
      const a = ada.subscribe('packed');
      const b = bo.subscribe('packed');
      const got = { a: [], b: [] };
      a.on('message', ({ message }) => got.a.push(message.content));
      b.on('message', ({ message }) => got.b.push(message.content));
      let online = [];
      a.on('presence', (p) => { online = p.online; });
      await until('both live', () => a.state === 'live' && b.state === 'live');
      const sent = await a.send('hello from a packed SDK');
      await b.send('and back, by long-poll');
      await until('both messages on both sides', () => got.a.length === 2 && got.b.length === 2);
      // Both online, by name: Ada on her socket, Bo by long-polling.
      await until('presence with names', () => online.length === 2);
      console.log(JSON.stringify({
        transports: [ada.connection.transportKind, bo.connection.transportKind],
        got,
        stored: !isAccepted(sent) && sent.client_msg_id !== null,
        online: online.map((p) => p.username).sort(),
        mine: (await ada.myRooms()).items.map((r) => [r.id, r.unread]),
      }));
      ada.disconnect();
      bo.disconnect();
    `;
    writeFileSync(join(project, 'use.mjs'), script);
    const { stdout } = await run(process.execPath, ['use.mjs'], {
      cwd: project,
      timeout: 30_000,
      env: { PATH: process.env.PATH, GATEWAY: stack.url, WS_MODULE: pathToFileURL(require.resolve('ws')).href },
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
      transports: ['websocket', 'poll'],
      got: { a: ['hello from a packed SDK', 'and back, by long-poll'], b: ['hello from a packed SDK', 'and back, by long-poll'] },
      stored: true,
      online: ['Packed Ada', 'Packed Bo'],
      mine: [['packed', 1]],
    });
  }, 120_000);

  it('its declarations stand on their own, and a misspelt event does not compile against them', async () => {
    expect(existsSync(join(project, 'node_modules/@chat/client/dist/index.d.ts'))).toBe(true);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          lib: ['es2023', 'dom'],
          types: [],
          skipLibCheck: false,
        },
        include: ['*.ts'],
      }),
    );
    writeFileSync(
      join(project, 'consumer.ts'),
      `import { ChatClient, type ConnectionState, type MessageView } from '@chat/client';
       const chat = new ChatClient({ baseUrl: 'http://127.0.0.1:8080' });
       const room = chat.subscribe('garden');
       room.on('message', ({ message, replayed }: { message: MessageView; replayed: boolean }) => message.content.length + Number(replayed));
       room.on('presence', ({ online }) => online.map((p) => p.username + p.avatar));
       const state: ConnectionState = chat.connect().state;
       // @ts-expect-error: no such event
       room.on('mesage', () => undefined);
       export { state };
      `,
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', project]).then(
      () => 'ok',
      (err: { stdout?: string }) => err.stdout ?? String(err),
    );
    expect(result).toBe('ok');
  }, 60_000);
});
