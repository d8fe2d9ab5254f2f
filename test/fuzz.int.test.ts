import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveSocket, TestUser } from './support/client.ts';
import { type ServiceProcess, spawnGateway } from './support/process.ts';
import { type Stack, startStack } from './support/stack.ts';

// Random, well-formed HTTP requests and WebSocket frames against a gateway in a process of its
// own: whatever they hold, the answer is never a 5xx, never a hang, never a dropped connection,
// the process keeps serving, and its memory does not grow. Bounded in count and time.
let stack: Stack;
let gateway: ServiceProcess;
let user: TestUser;
const RUNS = Number(process.env.FUZZ_RUNS ?? 250);
const TIME_LIMIT_MS = 40_000;

beforeAll(async () => {
  stack = await startStack();
  gateway = await spawnGateway(stack, { LOG_LEVEL: 'silent' });
  const res = await fetch(`${gateway.url}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'Fuzzer' }),
  });
  const body = (await res.json()) as { user: { id: string }; token: string };
  user = new TestUser({ ...stack, url: gateway.url, wsUrl: gateway.wsUrl }, body.user.id, body.token);
  await user.join('fuzz');
  await user.post('fuzz', 'seed message');
}, 90_000);
afterAll(async () => {
  await gateway?.kill('SIGKILL');
  await stack?.stop();
});

const rssMb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${gateway.child.pid}/status`, 'utf8'))![1]) / 1024;

const ROUTES: { method: string; path: (id: string) => string; body: boolean }[] = [
  { method: 'POST', path: () => '/users', body: true },
  { method: 'GET', path: (id) => `/users/${id}`, body: false },
  { method: 'PATCH', path: (id) => `/users/${id}`, body: true },
  { method: 'GET', path: () => '/rooms', body: false },
  { method: 'POST', path: () => '/rooms', body: true },
  { method: 'GET', path: (id) => `/rooms/${id}`, body: false },
  { method: 'GET', path: (id) => `/rooms/${id}/members`, body: false },
  { method: 'POST', path: (id) => `/rooms/${id}/join`, body: true },
  { method: 'POST', path: (id) => `/rooms/${id}/leave`, body: true },
  { method: 'POST', path: (id) => `/rooms/${id}/messages`, body: true },
  { method: 'GET', path: (id) => `/rooms/${id}/messages`, body: false },
  { method: 'PATCH', path: (id) => `/rooms/fuzz/messages/${id}`, body: true },
  { method: 'DELETE', path: (id) => `/rooms/fuzz/messages/${id}`, body: true },
  { method: 'GET', path: (id) => `/rooms/${id}/presence`, body: false },
  { method: 'GET', path: (id) => `/avatars/${id}`, body: false },
  { method: 'GET', path: (id) => `/avatars/default/${id}`, body: false },
];
const FIELDS = ['username', 'avatar_url', 'user_id', 'name', 'id', 'content', 'client_msg_id', 'type'];
const QUERY = ['limit', 'before', 'after', 'wait', 'since', 'token'];

/** Strings people and attackers send: ids, numbers, unicode, controls, escapes, long ones. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    'fuzz',
    '..',
    '%2e%2e',
    'a.b',
    '*',
    '>',
    '-1',
    '0',
    '1e309',
    'NaN',
    'null',
    '\u0000',
    '\u202e',
    'data:image/png;base64,AAAA',
    'https://x:y@e.com/a',
  ),
  fc.integer().map(String),
  fc.string({ maxLength: 3000 }),
);
const json = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.constantFrom(...FIELDS), fc.oneof(nasty, fc.jsonValue({ maxDepth: 2 })), { maxKeys: 5 }));
const request = fc.record({
  route: fc.constantFrom(...ROUTES),
  id: nasty,
  query: fc.dictionary(fc.constantFrom(...QUERY), nasty, { maxKeys: 3 }),
  body: json,
  token: fc.boolean(),
});

describe('fuzzing the running gateway', () => {
  it('HTTP: never a 5xx, a hang or a dropped connection; the process keeps serving and its memory stays flat', async () => {
    const before = rssMb();
    await fc.assert(
      fc.asyncProperty(request, async ({ route, id, query, body, token }) => {
        const path = route.path(encodeURIComponent(id));
        const qs = new URLSearchParams(query).toString();
        const res = await fetch(`${gateway.url}${path}${qs ? `?${qs}` : ''}`, {
          method: route.method,
          headers: { ...(token ? { authorization: `Bearer ${user.token}` } : {}), ...(route.body ? { 'content-type': 'application/json' } : {}) },
          body: route.body ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        expect(res.status, `${route.method} ${path}?${qs} ${JSON.stringify(body).slice(0, 200)}`).toBeLessThan(500);
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
    expect((await fetch(`${gateway.url}/rooms/fuzz/messages`, { headers: { authorization: `Bearer ${user.token}` } })).status).toBe(200);
    expect(rssMb() - before).toBeLessThan(20);
  }, 90_000);

  it('WebSocket: random frames get error frames at most; the socket stays open and answers a ping', async () => {
    // The HTTP fuzz may have made the user leave.
    await user.join('fuzz');
    const socket = await LiveSocket.open(`${gateway.wsUrl}/ws/fuzz/${user.id}?token=${user.token}`);
    await socket.ready();
    const frame = fc.oneof(
      nasty,
      json.map((v) => JSON.stringify(v)),
      fc
        .record({
          type: fc.constantFrom('message', 'typing', 'resume', 'ping', 'shout'),
          content: nasty,
          since: fc.oneof(fc.integer(), nasty),
          client_msg_id: nasty,
        })
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(frame, async (f) => {
        socket.send(f);
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
    const pongs = () => socket.frames.filter((f) => f.type === 'pong').length;
    const seen = pongs();
    socket.send({ type: 'ping' });
    await socket.until(() => pongs() > seen, 'a pong after the fuzz', 10_000);
    expect(socket.closeCode).toBeUndefined();
    socket.close();
  }, 90_000);
});
