import { jetstreamManager } from '@chat/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjects } from '@chat/contracts';
import { startStack, type Stack } from './support/stack.ts';
import { LiveSocket, TestUser, http } from './support/client.ts';

let stack: Stack;
let ann: TestUser;
let outsider: TestUser;

const streamSize = async () => (await (await jetstreamManager(stack.nc)).streams.info(subjects(stack.env.namespace).stream)).state.messages;

beforeAll(async () => {
  stack = await startStack();
  ann = await TestUser.register(stack, 'Ann');
  outsider = await TestUser.register(stack, 'Outsider');
  await ann.join('guarded');
  await ann.post('guarded', 'the only message');
});
afterAll(async () => {
  await stack?.stop();
});

const errorOf = (res: { status: number; body: any }) => ({ status: res.status, code: res.body?.error?.code });

describe('bad input over HTTP: a clear 4xx and nothing stored', () => {
  it('refuses each bad request with the right status and code', async () => {
    const before = await streamSize();
    const auth = { authorization: `Bearer ${ann.token}` };
    const cases: [string, Promise<{ status: number; body: any }>, number, string][] = [
      [
        'malformed JSON',
        http(stack, 'POST', '/rooms/guarded/messages', '{"content": "x"', { ...auth, 'content-type': 'application/json' }),
        400,
        'bad_request',
      ],
      ['empty body', http(stack, 'POST', '/rooms/guarded/messages', '', auth), 400, 'bad_request'],
      ['wrong field type', ann.request('POST', '/rooms/guarded/messages', { content: 42 }), 400, 'validation_failed'],
      ['username of wrong type', http(stack, 'POST', '/users', { username: ['x'] }), 400, 'validation_failed'],
      ['empty username', http(stack, 'POST', '/users', { username: '   ' }), 400, 'validation_failed'],
      ['username with control characters', http(stack, 'POST', '/users', { username: 'a\u0007b' }), 400, 'validation_failed'],
      ['username over 32 characters', http(stack, 'POST', '/users', { username: 'x'.repeat(33) }), 400, 'validation_failed'],
      ['javascript: avatar', http(stack, 'POST', '/users', { username: 'x', avatar_url: 'javascript:alert(1)' }), 400, 'validation_failed'],
      ['oversize body', ann.request('POST', '/rooms/guarded/messages', { content: 'x'.repeat(70 * 1024) }), 413, 'payload_too_large'],
      ['empty message', ann.request('POST', '/rooms/guarded/messages', { content: '   ' }), 400, 'validation_failed'],
      ['over-long message', ann.request('POST', '/rooms/guarded/messages', { content: 'x'.repeat(4001) }), 400, 'validation_failed'],
      ['room id with a dot', ann.request('POST', '/rooms/a.b/join', {}), 400, 'validation_failed'],
      ['room id a.>', ann.request('POST', `/rooms/${encodeURIComponent('a.>')}/join`, {}), 400, 'validation_failed'],
      ['room id *', ann.request('POST', '/rooms/*/messages', { content: 'x' }), 400, 'validation_failed'],
      ['room id with a space', ann.request('GET', '/rooms/a%20b/messages'), 400, 'validation_failed'],
      ['room id over 64 characters', ann.request('POST', `/rooms/${'r'.repeat(65)}/join`, {}), 400, 'validation_failed'],
      ['user id with a dot', ann.request('GET', '/users/a.b'), 400, 'validation_failed'],
      ['missing token', http(stack, 'POST', '/rooms/guarded/messages', { content: 'x' }), 401, 'unauthorized'],
      ['wrong token', http(stack, 'POST', '/rooms/guarded/messages', { content: 'x' }, { authorization: 'Bearer nope.1.x' }), 401, 'unauthorized'],
      [
        'forged token',
        http(stack, 'POST', '/rooms/guarded/join', {}, { authorization: `Bearer ${ann.token!.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))}` }),
        401,
        'unauthorized',
      ],
      ['acting as another user', outsider.request('PATCH', `/users/${ann.id}`, { username: 'hijacked' }), 403, 'forbidden'],
      ['joining as another user', outsider.request('POST', '/rooms/guarded/join', { user_id: ann.id }), 403, 'forbidden'],
      ['posting without joining', outsider.request('POST', '/rooms/guarded/messages', { content: 'let me in' }), 403, 'not_member'],
      ['posting to a room that does not exist', ann.request('POST', '/rooms/nowhere/messages', { content: 'x' }), 404, 'not_found'],
      ['history cursor that is not a number', ann.request('GET', '/rooms/guarded/messages?before=abc'), 400, 'validation_failed'],
      ['before and after together', ann.request('GET', '/rooms/guarded/messages?before=5&after=1'), 400, 'validation_failed'],
      ['unknown route', ann.request('GET', '/nope'), 404, 'not_found'],
    ];
    for (const [name, res, status, code] of cases) {
      expect({ name, ...errorOf(await res) }).toEqual({ name, status, code });
    }
    for (const [, res] of cases) {
      const { body } = await res;
      expect(typeof body.error.message).toBe('string');
      expect(body.error.message).not.toMatch(/at .*\.ts:\d+/); // no stack traces to clients
    }
    expect(await streamSize()).toBe(before);
    const history = (await ann.history('guarded')).body.filter((m) => m.type === 'text');
    expect(history.map((m) => m.content)).toEqual(['the only message']);
    // The gateway is still fine.
    expect((await ann.request('GET', '/rooms/guarded')).status).toBe(200);
  });
});

describe('bad input over WebSocket', () => {
  const refused = (url: string) =>
    LiveSocket.open(url).then(
      () => ({ status: 101 }),
      (err: { status?: number; body?: string }) => ({ status: err.status, code: JSON.parse(err.body ?? '{}').error?.code }),
    );

  it('refuses bad upgrades before 101', async () => {
    const base = stack.wsUrl;
    expect(await refused(`${base}/ws/guarded/${ann.id}`)).toEqual({ status: 401, code: 'unauthorized' });
    expect(await refused(`${base}/ws/guarded/${ann.id}?token=garbage`)).toEqual({ status: 401, code: 'unauthorized' });
    expect(await refused(`${base}/ws/guarded/${ann.id}?token=${outsider.token}`)).toEqual({ status: 403, code: 'forbidden' });
    expect(await refused(`${base}/ws/guarded/${outsider.id}?token=${outsider.token}`)).toEqual({ status: 403, code: 'not_member' });
    for (const room of ['a.b', encodeURIComponent('a.>'), '*', 'a%20b']) {
      expect(await refused(`${base}/ws/${room}/${ann.id}?token=${ann.token}`)).toMatchObject({ status: 400 });
    }
    expect(await refused(`${base}/ws/guarded/${ann.id}?token=${ann.token}&since=-1`)).toMatchObject({ status: 400 });
  });

  it('answers bad frames with error frames and keeps the socket', async () => {
    const before = await streamSize();
    const socket = await ann.connect('guarded');
    await socket.until((f) => f.some((x) => x.type === 'ready'), 'ready');
    const bad: [unknown, string][] = [
      ['not json', 'bad_request'],
      [{ type: 'shout', content: 'x' }, 'bad_request'],
      [{ content: 'no type' }, 'validation_failed'],
      [{ type: 'message', content: 7 }, 'validation_failed'],
      [{ type: 'message', content: '' }, 'validation_failed'],
      [{ type: 'message', content: 'x'.repeat(4001) }, 'validation_failed'],
      [{ type: 'message', content: 'x', client_msg_id: 'a.b' }, 'validation_failed'],
    ];
    for (const [frame] of bad) socket.send(frame);
    socket.send({ type: 'ping' });
    const frames = await socket.until((f) => f.some((x) => x.type === 'pong'), 'pong after the bad frames');
    const errors = frames.filter((f) => f.type === 'error');
    expect(errors.map((e) => (e as { code: string }).code)).toEqual(bad.map(([, code]) => code));
    expect(errors.find((e) => (e as { message: string }).message.includes('shout'))).toBeDefined();
    expect(await streamSize()).toBe(before);
    socket.close();
  });

  it('closes a socket that sends an oversize frame with 1009', async () => {
    const socket = await ann.connect('guarded');
    await socket.until((f) => f.some((x) => x.type === 'ready'), 'ready');
    socket.send(JSON.stringify({ type: 'message', content: 'x'.repeat(17 * 1024) }));
    expect(await socket.closed()).toBe(1009);
  });
});
