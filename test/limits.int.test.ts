import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/stack.ts';
import { LiveSocket, TestUser } from './support/client.ts';

let stack: Stack;
beforeAll(async () => {
  // The real limits, not the test stack's generous ones.
  stack = await startStack({
    gatewayEnv: { ALLOWED_ORIGINS: 'https://app.example.com', POSTS_PER_SECOND: '10', FRAMES_PER_SECOND: '30', MAX_SOCKETS_PER_USER: '3' },
  });
});
afterAll(async () => {
  await stack?.stop();
});

const attempt = (url: string, options: import('ws').ClientOptions = {}, protocols?: string[]) =>
  LiveSocket.open(url, protocols, options).then(
    (socket) => ({ status: 101, socket }),
    (err: { status?: number; body?: string }) => ({
      status: err.status,
      code: JSON.parse(err.body ?? '{}').error?.code as string | undefined,
      socket: undefined,
    }),
  );

describe('origins', () => {
  it('refuses foreign origins before 101, and admits a client without Origin only with a valid token', async () => {
    const u = await TestUser.register(stack, 'Origin');
    await u.join('origins');
    const url = `${stack.wsUrl}/ws/origins/${u.id}`;
    for (const origin of ['https://evil.example', 'null', 'https://app.example.com.evil.com']) {
      expect(await attempt(`${url}?token=${u.token}`, { origin })).toMatchObject({ status: 403, code: 'forbidden' });
    }
    const allowed = await attempt(`${url}?token=${u.token}`, { origin: 'https://app.example.com' });
    expect(allowed.status).toBe(101);
    allowed.socket?.close();
    const native = await attempt(`${url}?token=${u.token}`);
    expect(native.status).toBe(101);
    native.socket?.close();
    expect(await attempt(url)).toMatchObject({ status: 401 });
    expect(await attempt(`${url}?token=forged.1.x`)).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('takes the token from Sec-WebSocket-Protocol and echoes only the non-secret protocol', async () => {
    const u = await TestUser.register(stack, 'Protocol');
    await u.join('protocols');
    const result = await attempt(`${stack.wsUrl}/ws/protocols/${u.id}`, {}, ['chat.v1', `token.${u.token}`]);
    expect(result.status).toBe(101);
    expect(result.socket!.ws.protocol).toBe('chat.v1');
    result.socket!.close();
  });

  it('answers CORS only for allowed origins', async () => {
    const ok = await fetch(`${stack.url}/rooms`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(ok.headers.get('access-control-allow-headers')).toContain('authorization');
    const evil = await fetch(`${stack.url}/rooms`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
  });
});

describe('rate limits', () => {
  it('1000 frames a second from one socket are limited, then closed, and do not disturb the others', async () => {
    const [flooder, calm] = await Promise.all([TestUser.register(stack, 'Flooder'), TestUser.register(stack, 'Calm')]);
    await flooder.join('flood');
    await calm.join('flood');
    const f = await flooder.connect('flood');
    const c = await calm.connect('flood');
    await Promise.all([f.ready(), c.ready()]);
    const started = Date.now();
    let sent = 0;
    // 1000 frames a second for up to 2 s, or until the gateway closes the socket.
    while (Date.now() - started < 2000 && f.closeCode === undefined) {
      for (let i = 0; i < 50 && f.ws.readyState === f.ws.OPEN; i++, sent++) f.send({ type: 'message', content: `spam ${sent}` });
      await new Promise((r) => setTimeout(r, 50));
    }
    const code = await f.closed(10_000);
    expect(code).toBe(1008);
    const limited = f.frames.filter((x) => x.type === 'error' && (x as { code: string }).code === 'rate_limited');
    expect(limited.length).toBeGreaterThan(0);
    const stored = (await calm.history('flood', '?limit=100')).body.filter((m) => m.type === 'text');
    expect(stored.length).toBeLessThanOrEqual(20 + 10 * 3); // a burst, then the sustained rate
    expect(stored.length).toBeLessThan(sent);

    // The calm one is fine: it posts and receives as usual.
    c.send({ type: 'message', content: 'still here' });
    await c.until(() => c.messages().some((m) => m.content === 'still here'), 'calm message');
    expect(c.closeCode).toBeUndefined();
    c.close();
  });

  it('a device that follows more rooms than a burst of frames subscribes to all of them at once; a frame refused for its rate names its room', async () => {
    const u = await TestUser.register(stack, 'Many');
    const rooms = Array.from({ length: 100 }, (_, i) => `many-${i}`);
    await Promise.all(rooms.map((r) => u.join(r)));
    const ws = await u.connectMux();
    await ws.until((f) => f.some((x) => x.type === 'welcome'), 'welcome');
    // A device coming back asks for every room it follows, in one go.
    for (const room_id of rooms) ws.send({ type: 'subscribe', room_id });
    const subscribed = () => new Set(ws.frames.flatMap((f) => (f.type === 'subscribed' ? [f.room_id] : [])));
    // Before, frames past the burst of 60 were refused with an error naming no room: those rooms
    // never went live, and the client could not tell which to ask for again.
    await ws.until(() => subscribed().size === rooms.length, 'every room subscribed', 20_000);
    expect(ws.frames.filter((f) => f.type === 'error')).toEqual([]);

    // Other frames keep their own rate; one refused says which room it was for.
    for (let i = 0; i < 80; i++) ws.send({ type: 'typing', room_id: 'many-7' });
    await ws.until((f) => f.some((x) => x.type === 'error'), 'a refusal');
    const refused = ws.frames.filter((f) => f.type === 'error');
    expect(refused.length).toBeGreaterThan(0);
    for (const e of refused) expect(e).toMatchObject({ type: 'error', code: 'rate_limited', room_id: 'many-7' });

    // Past the subscription allowance too (the burst of 500 spent): subscribes are refused, each
    // naming its room, never as a flood; an unsubscribe is still answered, as the client waits for it.
    for (let i = 0; i < 700; i++) ws.send({ type: 'subscribe', room_id: rooms[i % rooms.length] });
    await ws.until((f) => f.filter((x) => x.type === 'error').length > refused.length, 'a subscribe refused');
    ws.send({ type: 'unsubscribe', room_id: 'many-3' });
    await ws.until((f) => f.some((x) => x.type === 'unsubscribed' && x.room_id === 'many-3'), 'the unsubscribe answered');
    const refusedSubscribes = ws.frames.slice(ws.frames.indexOf(refused.at(-1)!) + 1).filter((f) => f.type === 'error');
    for (const e of refusedSubscribes) expect(e).toMatchObject({ code: 'rate_limited', room_id: expect.stringMatching(/^many-\d+$/) });
    expect(ws.closeCode).toBeUndefined();
    ws.close();
  });

  it('REST posts share the per-user allowance: past the burst they get 429', async () => {
    const u = await TestUser.register(stack, 'Rester');
    await u.join('rest-limits');
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => u.post('rest-limits', `r${i}`).then((r) => r.status)));
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(10);
  });

  it('caps sockets per user', async () => {
    const u = await TestUser.register(stack, 'Tabs');
    await u.join('tabs');
    const open = [];
    for (let i = 0; i < 3; i++) open.push(await u.connect('tabs'));
    const fourth = await attempt(`${stack.wsUrl}/ws/tabs/${u.id}?token=${u.token}`);
    expect(fourth).toMatchObject({ status: 429, code: 'rate_limited' });
    open[0]!.close();
    await open[0]!.closed();
    await new Promise((r) => setTimeout(r, 100));
    const again = await attempt(`${stack.wsUrl}/ws/tabs/${u.id}?token=${u.token}`);
    expect(again.status).toBe(101);
    for (const s of [...open.slice(1), again.socket!]) s.close();
  });
});
