import { ApiError, type ChatClient, type Connection, type ConnectionEvents, type InvitationView } from '@chat/client';
import { aMessage } from '@chat/contracts/fixtures';
import { describe, expect, it, vi } from 'vitest';
import { addInvitation, Invitations, invitedSentence, isMyJoin, removeInvitation } from './invitations.ts';

const inv = (room: string, seq: number, by = 'Ann'): InvitationView => ({
  room_id: room,
  room_name: `Room ${room}`,
  inviter: { user_id: by.toLowerCase(), username: by, avatar: '/a.png' },
  invited_at: new Date(0).toISOString(),
  seq,
});

/** A connection whose events the test fires by hand. */
function fakeConnection() {
  const handlers = new Map<string, ((e: unknown) => void)[]>();
  const connection = {
    transportKind: 'websocket',
    on: (name: string, f: (e: unknown) => void) => {
      handlers.set(name, [...(handlers.get(name) ?? []), f]);
      return () => undefined;
    },
  } as unknown as Connection;
  const fire = <K extends keyof ConnectionEvents>(name: K, e: ConnectionEvents[K]) => {
    for (const f of handlers.get(name) ?? []) f(e);
  };
  return { connection, fire };
}

describe('invitations, as pure data', () => {
  it('newest first; one per room, a newer invitation replacing an older one, an older or repeated one changing nothing', () => {
    let list = addInvitation([], inv('a', 3));
    list = addInvitation(list, inv('b', 5));
    expect(list.map((i) => i.room_id)).toEqual(['b', 'a']);
    expect(addInvitation(list, inv('a', 3))).toEqual(list);
    expect(addInvitation(list, inv('a', 2, 'Cid'))).toEqual(list);
    expect(addInvitation(list, inv('a', 9, 'Cid')).map((i) => [i.room_id, i.inviter.username])).toEqual([
      ['a', 'Cid'],
      ['b', 'Ann'],
    ]);
    expect(removeInvitation(list, 'b').map((i) => i.room_id)).toEqual(['a']);
  });

  it('my own join line uses an invitation up; someone else’s, my leave, or a post do not', () => {
    const line = (user_id: string, content: string) => aMessage(1, { type: 'system', user_id, content });
    expect(isMyJoin(line('bob', 'Bob joined the room'), 'bob')).toBe(true);
    expect(isMyJoin(line('ann', 'Ann joined the room'), 'bob')).toBe(false);
    expect(isMyJoin(line('bob', 'Bob left the room'), 'bob')).toBe(false);
    expect(isMyJoin(aMessage(1, { user_id: 'bob', content: 'joined the room' }), 'bob')).toBe(false);
    expect(invitedSentence(inv('a', 1))).toBe('Ann invited you to Room a');
  });
});

describe('the invitations store', () => {
  it('loads, then follows invited, declined on another device, and my join on another device; a live arrival is reported', async () => {
    const client = {
      invitations: vi.fn(async () => ({ items: [inv('old', 2)], nextBefore: undefined })),
    } as unknown as ChatClient;
    const store = new Invitations(client, 'bob');
    const { connection, fire } = fakeConnection();
    store.bind(connection);
    const arrivals: (string | undefined)[] = [];
    store.onChange((arrived) => arrivals.push(arrived?.room_id));
    await store.load();
    expect(store.list.map((i) => i.room_id)).toEqual(['old']);

    fire('invited', { room_id: 'new', invitation: inv('new', 7), seq: 7 });
    expect(store.list.map((i) => i.room_id)).toEqual(['new', 'old']);
    expect(arrivals).toEqual([undefined, 'new']);

    fire('roomActivity', { room_id: 'new', message: aMessage(8, { room_id: 'new', type: 'system', user_id: 'bob', content: 'Bob joined the room' }), seq: 8 });
    expect(store.list.map((i) => i.room_id)).toEqual(['old']);
    fire('invitationDeclined', { room_id: 'old', seq: 9 });
    expect(store.list).toEqual([]);
  });

  it('accept joins and decline declines, each taking the invitation off the list; a failure keeps it', async () => {
    const client = {
      invitations: vi.fn(async () => ({ items: [inv('a', 3), inv('b', 2)], nextBefore: undefined })),
      join: vi.fn(async () => ({})),
      declineInvitation: vi.fn(async (roomId: string) => {
        if (roomId === 'nope') throw new Error('refused');
        return {};
      }),
    };
    const store = new Invitations(client as unknown as ChatClient, 'bob');
    await store.load();
    await store.accept('a');
    expect(client.join).toHaveBeenCalledWith('a');
    await store.decline('b');
    expect(client.declineInvitation).toHaveBeenCalledWith('b');
    expect(store.list).toEqual([]);
    await store.load();
    client.declineInvitation.mockClear();
    await expect(store.decline('nope')).rejects.toThrow('refused');
    expect(store.list.map((i) => i.room_id)).toEqual(['a', 'b']);
  });

  it('a decline answered 404 (declined already, on another device) takes the invitation off the list too', async () => {
    const client = {
      invitations: vi.fn(async () => ({ items: [inv('a', 3)], nextBefore: undefined })),
      declineInvitation: vi.fn(async () => {
        throw new ApiError(404, 'not_found', 'room a does not exist');
      }),
    };
    const store = new Invitations(client as unknown as ChatClient, 'bob');
    await store.load();
    await store.decline('a');
    expect(store.list).toEqual([]);
  });
});
