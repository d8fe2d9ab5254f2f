import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { eventually, freePort, testImages } from '@chat/testkit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOCATOR_ENV, LARGE_DECODE_MB } from '../services/profile/src/avatars/avatar-pool.ts';
import { TestUser } from './support/client.ts';
import { type Stack, startStack } from './support/stack.ts';

const root = fileURLToPath(new URL('../', import.meta.url));

let stack: Stack;
let profile: ReturnType<typeof spawn>;

beforeAll(async () => {
  stack = await startStack({ without: ['profile'], gatewayEnv: { UPLOADS_PER_MINUTE: '100000' } });
  // The profile service in a process of its own, so its resident memory can be read.
  const opsPort = await freePort();
  profile = spawn(process.execPath, ['--import', 'tsx', 'services/profile/src/main.ts'], {
    cwd: root,
    env: { ...process.env, ...stack.envFor({ PORT: String(opsPort), ...ALLOCATOR_ENV }) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  process.once('exit', () => profile.kill('SIGKILL'));
  await eventually(async () => ((await fetch(`http://127.0.0.1:${opsPort}/readyz`)).ok ? true : undefined), 'profile process ready', 60_000);
}, 90_000);
afterAll(async () => {
  profile?.kill('SIGKILL');
  await stack?.stop();
});

const rssMb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${profile.pid}/status`, 'utf8'))![1]) / 1024;

const upload = (u: TestUser, bytes: Buffer, type: string) =>
  fetch(`${stack.url}/users/${u.id}/avatar`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${u.token}`, 'content-type': type },
    body: new Uint8Array(bytes),
  });

describe('avatar decoding under a flood', () => {
  it('40 uploads of a tiny file declaring a huge picture: bounded memory, 503 at once past the queue, and an unrelated small upload answered', async () => {
    // A 6300×6300 progressive JPEG (about 40 MP) of a few KB: the costliest picture to decode.
    const huge = await sharp({ create: { width: 6300, height: 6300, channels: 3, background: '#336699' } })
      .jpeg({ progressive: true })
      .toBuffer();
    expect(huge.length).toBeLessThan(1024 * 1024);
    const small = await testImages.png(24, 24);
    const users = await Promise.all(Array.from({ length: 41 }, (_, i) => TestUser.register(stack, `Flood ${i}`)));
    const bystander = users.pop()!;
    // Warm up: one small picture through the whole path.
    expect((await upload(bystander, small, 'image/png')).status).toBe(200);
    const idle = rssMb();

    let peak = idle;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb());
    }, 20);
    const flood = users.map((u) =>
      upload(u, huge, 'image/jpeg').then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.text(), at: Date.now() })),
    );
    await new Promise((r) => setTimeout(r, 300));
    const bystanderStatus = (await upload(bystander, small, 'image/png')).status;
    const bystanderAt = Date.now();
    const results = await Promise.all(flood);
    clearInterval(sampler);

    // Answered while the large pictures were still being decoded, not after them.
    expect(bystanderStatus).toBe(200);
    expect(bystanderAt).toBeLessThan(Math.max(...results.filter((r) => r.status === 200).map((r) => r.at)));
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    for (const r of results.filter((r) => r.status === 503)) expect(Number(r.retryAfter)).toBeGreaterThan(0);
    // One large decode at a time: growth within what one may hold, plus room for the queue's bytes.
    expect(peak - idle).toBeLessThan(LARGE_DECODE_MB + 40);
  }, 120_000);
});
