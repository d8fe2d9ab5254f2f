import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const fixture = fileURLToPath(new URL('./anchor-server.fixture.ts', import.meta.url));

async function serve(mode: 'anchor' | 'bare'): Promise<{ port: number; child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
    child.once('exit', (code) => reject(new Error(`fixture exited ${code}: ${stderr}`)));
  });
  return { port, child, stderr: () => stderr };
}

/** `count` clients, `parallel` at a time: each waits for its one frame, then closes with 1000. */
async function clients(port: number, count: number, parallel = 50): Promise<{ got: number; codes: Map<number, number> }> {
  let next = 0;
  let got = 0;
  const codes = new Map<number, number>();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const n = next++;
        const code = await new Promise<number>((resolve) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/${n}`);
          ws.on('message', (data) => {
            if (String(data)[36] === 'p') got++;
            ws.close(1000);
          });
          ws.on('close', (c) => resolve(c));
          ws.on('error', () => undefined);
        });
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    }),
  );
  return { got, codes };
}

describe('asynchronous WebSocket upgrades (the anchor)', () => {
  it('1000 upgrades: every socket gets its frame and closes normally (never 1006), and no cork warning is printed', async () => {
    const server = await serve('anchor');
    try {
      const { got, codes } = await clients(server.port, 1000);
      expect(got).toBe(1000);
      expect([...codes]).toEqual([[1000, 1000]]);
      expect(server.stderr()).not.toMatch(/corked/);
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 60_000);

  it('without the anchor, the same upgrades print the warning (so the check above can fail)', async () => {
    const server = await serve('bare');
    try {
      await clients(server.port, 20, 5);
      expect(server.stderr()).toMatch(/corked/);
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 30_000);
});
