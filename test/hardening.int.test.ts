import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, LiveSocket, TestUser } from './support/client.ts';
import { type Stack, startStack } from './support/stack.ts';

// The gateway's edge under hostile input: each class of what an attacker tried, refused.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    gatewayEnv: { SIGNUPS_PER_MINUTE: '4', ROOMS_PER_MINUTE: '2', JOINS_PER_MINUTE: '3', MAX_SOCKETS_PER_USER: '3', TRUST_PROXY: '127.0.0.1' },
  });
});
afterAll(async () => {
  await stack?.stop();
});

const port = () => Number(new URL(stack.url).port);

/** Writes raw bytes to the gateway and collects everything it answers until it closes (or `ms` pass). */
function raw(bytes: string, ms = 1500): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: port() });
    let text = '';
    let closed = false;
    socket.on('data', (d) => {
      text += d.toString('latin1');
    });
    socket.on('close', () => {
      closed = true;
    });
    socket.on('error', () => undefined);
    socket.write(bytes);
    setTimeout(() => {
      socket.destroy();
      resolve({ text, closed });
    }, ms);
  });
}

/** A signed-up user from an address of its own (through the trusted proxy), so the sign-up limit is not shared. */
let nextAddress = 1;
async function freshUser(name: string): Promise<TestUser> {
  const res = await http(stack, 'POST', '/users', { username: name }, { 'x-forwarded-for': `10.9.0.${nextAddress++}` });
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${JSON.stringify(res.body)}`);
  return new TestUser(stack, res.body.user.id, res.body.token);
}

describe('HTTP framing', () => {
  it('two different Content-Length headers: 400, the connection closed, and nothing behind them served', async () => {
    const u = await freshUser('Framer');
    const smuggled = `GET /rooms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${u.token}\r\n\r\n`;
    const body = '{"username":"x"}';
    const res = await raw(
      `POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nContent-Length: 50\r\n\r\n${body}${smuggled}`,
    );
    expect(res.text).not.toMatch(/HTTP\/1\.1 20\d/);
    expect(res.closed).toBe(true);
    const alone = await raw(
      `POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nContent-Length: 99\r\n\r\n`,
    );
    expect(alone.text).toMatch(/^HTTP\/1\.1 400/);
    expect(alone.text).toContain('more than one Content-Length');
    expect(alone.closed).toBe(true);
  });

  it('pipelined writes to an asynchronous route are refused cleanly: no answer, and nothing takes effect', async () => {
    const u = await freshUser('Pipeliner');
    await u.join('pipes');
    const post = (content: string) => {
      const body = JSON.stringify({ content });
      return `POST /rooms/pipes/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${u.token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    };
    const res = await raw(post('first of two') + post('second of two'));
    expect(res.closed).toBe(true);
    const history = await u.history('pipes');
    expect(history.body.filter((m) => m.type === 'text')).toEqual([]);
    // One at a time on one connection is fine (keep-alive).
    expect((await u.post('pipes', 'alone')).status).toBe(201);
  });
});

describe('identifiers and headers', () => {
  it('an over-long or unprintable x-request-id is replaced by one of ours, and never breaks the request', async () => {
    const u = await freshUser('Ids');
    await u.join('ids');
    for (const id of ['x'.repeat(5000), 'a b', 'é']) {
      const res = await fetch(`${stack.url}/rooms/ids/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${u.token}`, 'content-type': 'application/json', 'x-request-id': id },
        body: JSON.stringify({ content: 'hello' }),
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    const kept = await fetch(`${stack.url}/rooms/ids/messages`, { headers: { authorization: `Bearer ${u.token}`, 'x-request-id': 'trace-123' } });
    expect(kept.headers.get('x-request-id')).toBe('trace-123');
  });

  it('API JSON says nosniff and no-store; no response says uWebSockets', async () => {
    const u = await freshUser('Headers');
    for (const res of [await fetch(`${stack.url}/rooms`, { headers: { authorization: `Bearer ${u.token}` } }), await fetch(`${stack.url}/nope`)]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect([...res.headers.keys()].some((k) => k.toLowerCase() === 'uwebsockets')).toBe(false);
    }
  });

  it('an external avatar URL is parsed and written out again, http(s) only and without credentials', async () => {
    const u = await freshUser('Avatar');
    const withCredentials = await u.request('PATCH', `/users/${u.id}`, { avatar_url: 'https://user:secret@cdn.example.com/a.png' });
    expect(withCredentials.status).toBe(400);
    const odd = await u.request('PATCH', `/users/${u.id}`, { avatar_url: 'https://cdn.example.com/a b"<x>.png' });
    expect(odd.status).toBe(200);
    expect(odd.body.avatar).toBe('https://cdn.example.com/a%20b%22%3Cx%3E.png');
  });

  it('If-None-Match: * answers 304 only for an avatar that exists', async () => {
    const res = await fetch(`${stack.url}/avatars/${'0'.repeat(64)}.webp`, { headers: { 'if-none-match': '*' } });
    expect(res.status).toBe(404);
  });

  it('room names with bidirectional overrides or control characters are refused', async () => {
    const u = await freshUser('Namer');
    for (const name of ['evil\u202egnp.exe', 'iso\u2066late', 'nul\u0000', 'c1\u0085', 'line\u2028sep']) {
      const res = await u.request('POST', '/rooms', { name });
      expect(res.status).toBe(400);
    }
  });
});

describe('authorization before look-up', () => {
  it('an edit or deletion without a session is 401, whether the message exists or not', async () => {
    const u = await freshUser('Owner');
    await u.join('authz');
    const mine = (await u.post('authz', 'mine')).body;
    for (const id of [mine.id, 'm_does_not_exist']) {
      expect((await http(stack, 'PATCH', `/rooms/authz/messages/${id}`, { content: 'x' })).status).toBe(401);
      expect((await http(stack, 'DELETE', `/rooms/authz/messages/${id}`)).status).toBe(401);
    }
  });
});

describe('creation limits', () => {
  it('sign-ups per client address: 429 with Retry-After past the limit; another address is not held back', async () => {
    const from = (address: string) => http(stack, 'POST', '/users', { username: 'Throwaway' }, { 'x-forwarded-for': address });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await from('10.1.1.1')).status);
    expect(statuses).toEqual([201, 201, 201, 201, 429]);
    const refused = await fetch(`${stack.url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.1.1.1' },
      body: JSON.stringify({ username: 'Throwaway' }),
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await from('10.1.1.2')).status).toBe(201);
    // A forged X-Forwarded-For hop before ours is not believed: the nearest untrusted one counts.
    expect((await from('1.2.3.4, 10.1.1.1')).status).toBe(429);
  });

  it('rooms and joins per user', async () => {
    const u = await freshUser('Creator');
    const rooms = [];
    for (let i = 0; i < 3; i++) rooms.push((await u.request('POST', '/rooms', { name: `Room ${i}` })).status);
    expect(rooms).toEqual([201, 201, 429]);
    const joins = [];
    for (let i = 0; i < 4; i++) joins.push((await u.join(`joinable-${i}`)).status);
    expect(joins).toEqual([200, 200, 200, 429]);
  });
});

describe('sockets', () => {
  it('the per-user socket cap holds when sockets are opened all at once', async () => {
    const u = await freshUser('Many');
    await u.join('many');
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        u.connect('many').then(
          (s) => ({ ok: true as const, s }),
          (err: { status?: number }) => ({ ok: false as const, status: err.status }),
        ),
      ),
    );
    const opened = results.filter((r) => r.ok);
    expect(opened).toHaveLength(3);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.status === 429)).toBe(true);
    for (const r of opened) if (r.ok) r.s.close();
  });

  it('a token offered in Sec-WebSocket-Protocol beside chat.v1 gets chat.v1 echoed; a token alone is refused', async () => {
    const u = await freshUser('Protocols');
    await u.join('protocols');
    const url = `${stack.wsUrl}/ws/protocols/${u.id}`;
    const socket = await LiveSocket.open(url, ['chat.v1', `token.${u.token}`]);
    expect(socket.ws.protocol).toBe('chat.v1');
    await socket.ready();
    socket.close();
    await expect(LiveSocket.open(url, [`token.${u.token}`])).rejects.toMatchObject({ status: 400 });
  });
});
