import { describe, expect, it } from 'vitest';
import { ChatClient } from './client.ts';
import type { ConnectionEvents } from './connection.ts';
import type { MessageView } from './wire.ts';
import { aMessage } from '@chat/contracts/fixtures';

const message = (seq: number): MessageView => aMessage(seq, { user_id: 'u2', username: 'Bea' });
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const until = async (ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(ok()).toBe(true);
};

/**
 * A gateway by HTTP only: a room at seq 5 with its changes after it waiting (by default messages 6
 * and 7), then quiet long-polls.
 */
function gateway(opts: { session?: 'ok' | 'refused'; changes?: unknown[]; refuse?: boolean } = {}) {
  const changes = opts.changes ?? [6, 7].map((seq) => ({ type: 'message', room_id: 'r1', message: message(seq), seq }));
  const asked: string[] = [];
  const fetch = async (input: string, init: RequestInit): Promise<Response> => {
    const url = new URL(input);
    asked.push(`${url.pathname}${url.search}`);
    if (opts.session === 'refused') return json({ error: { code: 'unauthorized', message: 'bad token' } }, 401);
    if (url.pathname === '/users/u1') return json({ id: 'u1', username: 'Me', avatar: '/avatars/default/u1.svg', avatar_kind: 'default' });
    if (url.pathname === '/rooms/r1') return json({ id: 'r1', name: 'r1', created_by: null, created_at: '', member_count: 2, last_seq: 5 });
    if (url.pathname === '/rooms/r1/presence') return json({ room_id: 'r1', online: ['u2'] });
    if (url.pathname === '/rooms/r1/members') return json([{ user_id: 'u2', username: 'Bea', avatar: '/avatars/b.webp', joined_at: '' }]);
    if (url.pathname === '/rooms/r1/changes') {
      if (opts.refuse) return json({ error: { code: 'not_member', message: 'join first' } }, 403);
      const since = Number(url.searchParams.get('since'));
      const after = changes.filter((f) => (f as { seq: number }).seq > since);
      if (after.length > 0) return json(after);
      // A long-poll with nothing new: it waits, until the client gives up on it.
      return new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    }
    return json({ error: { code: 'not_found', message: 'no' } }, 404);
  };
  const client = new ChatClient({
    baseUrl: 'http://gw.test',
    session: { userId: 'u1', token: 't' },
    fetch,
    connection: { network: null, transport: 'poll', pollPresenceMs: 20 },
  });
  return { client, asked };
}

describe('the long-poll transport (against a fake gateway)', () => {
  it('gives the same events as the socket: catch-up from the room’s position, then live; presence by REST with names', async () => {
    const { client, asked } = gateway();
    const room = client.subscribe('r1');
    const got: number[] = [];
    let online: string[] = [];
    room.on('message', ({ message }) => got.push(message.seq));
    room.on('presence', (p) => {
      online = p.online.map((x) => x.username);
    });
    await until(() => room.state === 'live');
    expect(client.connection?.transportKind).toBe('poll');
    expect(got).toEqual([6, 7]);
    await until(() => online.includes('Bea'));
    await until(() => asked.some((a) => a.includes('since=7') && a.includes('wait=25')));
    expect(room.cursor.value).toBe(7);
    client.disconnect();
    expect(room.state).toBe('closed');
  });

  it('brings edits of older messages and profile changes, as a socket’s resume does, and its cursor covers them', async () => {
    // Before, it long-polled new messages only: an edit (seq 7) was never shown, and the cursor went past it.
    const { client } = gateway({
      changes: [
        { type: 'message', room_id: 'r1', message: message(6), seq: 6 },
        { type: 'message_updated', room_id: 'r1', message: { ...message(3), content: 'edited' }, seq: 7 },
        { type: 'profile_updated', room_id: 'r1', user: { id: 'u2', username: 'Bea2', avatar: '/avatars/b2.webp', avatar_kind: 'custom' }, seq: 8 },
      ],
    });
    const room = client.subscribe('r1', { since: 5 });
    const edits: string[] = [];
    const names: string[] = [];
    room.on('message_updated', (m) => edits.push(m.content));
    room.on('profile_updated', (u) => names.push(u.username));
    await until(() => room.state === 'live');
    expect(edits).toEqual(['edited']);
    expect(names).toEqual(['Bea2']);
    expect(room.cursor.value).toBe(8);
    client.disconnect();
  });

  it('a room the gateway refuses is no longer polled, for anything', async () => {
    const { client, asked } = gateway({ refuse: true });
    const room = client.subscribe('r1', { since: 5 });
    await until(() => room.state === 'refused');
    await new Promise((r) => setTimeout(r, 50));
    const before = asked.length;
    await new Promise((r) => setTimeout(r, 200));
    // Before, its presence and members went on being asked every refresh.
    expect(asked.slice(before)).toEqual([]);
    client.disconnect();
  });

  it('a session the gateway refuses stops the connection for good, with an error', async () => {
    const { client } = gateway({ session: 'refused' });
    const connection = client.connect();
    const states: ConnectionEvents['state']['state'][] = [];
    const errors: string[] = [];
    connection.on('state', ({ state }) => states.push(state));
    connection.on('error', (e) => errors.push(`${e.status} ${e.code}`));
    await until(() => connection.state === 'closed');
    expect(errors).toEqual(['401 unauthorized']);
    expect(states).not.toContain('reconnecting');
  });

  it('a message sent on a room that is closed is refused, not kept forever', async () => {
    const { client } = gateway();
    const room = client.subscribe('r1');
    room.close();
    await expect(room.send('too late')).rejects.toMatchObject({ code: 'closed' });
    client.disconnect();
  });
});
