import { describe, expect, it } from 'vitest';
import { ChatClient } from './client.ts';

// Event names and payloads are typed: the `@ts-expect-error` lines below are checked by
// `pnpm typecheck`, which fails if any of them ever compiles (a misspelt event, a wrong payload).

describe('typed events', () => {
  it('a listener gets the payload its event names, and a misspelt event does not compile', () => {
    const client = new ChatClient({ baseUrl: 'http://gw.test', session: { userId: 'u1' }, WebSocket: undefined, connection: { network: null } });
    (client as { WebSocket: unknown }).WebSocket = undefined;
    const room = client.connect().room('r1');
    const seen: string[] = [];
    const off = room.on('state', ({ state }) => seen.push(state));
    room.on('message', ({ message, replayed }) => seen.push(`${message.content}${replayed}`));
    room.on('presence', ({ online }) => seen.push(online.map((p) => `${p.username}:${p.avatar}`).join()));
    client.connect().on('state', ({ state, transport }) => seen.push(`${state}/${transport}`));

    // @ts-expect-error: no such event
    room.on('mesage', () => undefined);
    // @ts-expect-error: `message` carries { message, replayed }, not a MessageView
    room.on('message', (m: { content: string }) => m.content);
    // @ts-expect-error: presence entries are people, not ids
    room.on('presence', ({ online }: { online: string[] }) => online);
    // @ts-expect-error: the connection has no `message` event: messages are a room's
    client.connect().on('message', () => undefined);
    client.connect().on('roomActivity', ({ room_id, message, seq }) => seen.push(`${room_id}:${message.reactions.length}:${seq}`));
    client.connect().on('readMarker', ({ room_id, seq }) => seen.push(`${room_id}@${seq}`));
    client.connect().on('invited', ({ room_id, invitation }) => seen.push(`${room_id}:${invitation.room_name}:${invitation.inviter.username}`));
    client.connect().on('invitationDeclined', ({ room_id, seq }) => seen.push(`${room_id}-${seq}`));
    // @ts-expect-error: a declined invitation carries no invitation
    client.connect().on('invitationDeclined', ({ invitation }: { invitation: unknown }) => invitation);
    // @ts-expect-error: inbox events are named in camelCase, not as the wire's frame types
    client.connect().on('room_activity', () => undefined);
    // @ts-expect-error: a read marker carries no message
    client.connect().on('readMarker', ({ message }: { message: unknown }) => message);
    // @ts-expect-error: not a connection state
    const _state: import('./connection.ts').ConnectionState = 'live';

    expect(typeof off).toBe('function');
    room.close();
    off();
    client.disconnect();
    expect(seen).toContain('closed');
    expect(seen).toContain('closed/null');
  });
});
