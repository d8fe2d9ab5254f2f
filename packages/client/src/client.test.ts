import { describe, expect, it } from 'vitest';
import { ChatClient } from './client.ts';
import type { MessageView, MyRoomView } from './wire.ts';

interface Seen {
  method: string;
  path: string;
  body: unknown;
}

/** A gateway that answers every request with `answer` and records what was asked. */
function recording(answer: unknown, headers: Record<string, string> = {}) {
  const seen: Seen[] = [];
  const fetch = async (input: string, init: RequestInit): Promise<Response> => {
    const url = new URL(input);
    seen.push({ method: String(init.method), path: `${url.pathname}${url.search}`, body: init.body ? JSON.parse(String(init.body)) : undefined });
    return new Response(JSON.stringify(answer), { status: 200, headers: { 'content-type': 'application/json', ...headers } });
  };
  const client = new ChatClient({ baseUrl: 'http://gw.test', session: { userId: 'u1', token: 't' }, fetch });
  return { client, seen };
}

const msg = (reactions: MessageView['reactions']): MessageView => ({
  id: 'm1',
  room_id: 'r1',
  user_id: 'u2',
  username: 'Bo',
  content: 'hi',
  avatar: '/avatars/default/u2.svg',
  timestamp: new Date(0).toISOString(),
  type: 'text',
  seq: 3,
  client_msg_id: null,
  edited_at: null,
  deleted: false,
  reactions,
  changed_seq: 3,
});

describe('ChatClient requests (against a recording fake)', () => {
  it('myRooms pages with limit and before, and hands back the next cursor', async () => {
    const { client, seen } = recording([] satisfies MyRoomView[], { 'x-next-before': '17' });
    const page = await client.myRooms({ limit: 2, before: 40 });
    expect(page).toEqual({ items: [], nextBefore: 17 });
    expect(seen).toEqual([{ method: 'GET', path: '/me/rooms?user_id=u1&limit=2&before=40', body: undefined }]);
  });

  it('me, markRead, invite and createRoom with a visibility', async () => {
    const { client, seen } = recording({});
    await client.me();
    await client.markRead('r 1', 12);
    await client.invite('r1', 'u9');
    await client.createRoom({ name: 'Secret', visibility: 'private' });
    expect(seen).toEqual([
      { method: 'GET', path: '/me?user_id=u1', body: undefined },
      { method: 'POST', path: '/rooms/r%201/read', body: { seq: 12, user_id: 'u1' } },
      { method: 'POST', path: '/rooms/r1/invite', body: { invitee: 'u9', user_id: 'u1' } },
      { method: 'POST', path: '/rooms', body: { name: 'Secret', visibility: 'private' } },
    ]);
  });

  it('react posts the emoji; unreact names it percent-encoded in the path (a flag, a family, a keycap)', async () => {
    const { client, seen } = recording(msg([]));
    await client.react('r1', 'm1', '👍');
    for (const emoji of ['🇫🇷', '👨‍👩‍👧', '#️⃣']) await client.unreact('r1', 'm1', emoji);
    expect(seen[0]).toEqual({ method: 'POST', path: '/rooms/r1/messages/m1/reactions', body: { emoji: '👍', user_id: 'u1' } });
    const paths = seen.slice(1).map((s) => s.path);
    expect(paths).toEqual(['🇫🇷', '👨‍👩‍👧', '#️⃣'].map((e) => `/rooms/r1/messages/m1/reactions/${encodeURIComponent(e)}`));
    expect(paths.every((p) => /^[\x21-\x7e]+$/.test(p) && !p.slice('/rooms/r1/messages/m1/reactions/'.length).includes('#'))).toBe(true);
    expect(seen.slice(1).every((s) => s.method === 'DELETE')).toBe(true);
  });

  it('reacted: whether my id is among those of the emoji', () => {
    const { client } = recording({});
    const m = msg([
      { emoji: '👍', count: 2, user_ids: ['u2', 'u1'] },
      { emoji: '🎉', count: 1, user_ids: ['u2'] },
    ]);
    expect(client.reacted(m, '👍')).toBe(true);
    expect(client.reacted(m, '🎉')).toBe(false);
    expect(client.reacted(m, '🔥')).toBe(false);
  });
});
