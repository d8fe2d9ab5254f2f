import type { InboxFrame, MessageView } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import { Inbox } from './inbox.ts';
import { aMessage } from '@chat/contracts/fixtures';

const quiet = { warn: () => undefined } as never;
const message = (room: string, seq: number): MessageView => aMessage(seq, { room_id: room, user_id: 'bob', username: 'Bob' });

/** An inbox whose room loads the test releases by hand, and the frames each socket got. */
function setup() {
  const loads: { userId: string; resolve: (rooms: string[]) => void }[] = [];
  const got = new Map<string, InboxFrame[]>();
  const following = new Set<string>();
  const inbox = new Inbox<string>(
    (userId) => new Promise((resolve) => loads.push({ userId, resolve })),
    {
      send: (socket, frame) => got.set(socket, [...(got.get(socket) ?? []), frame]),
      follows: (socket, roomId) => following.has(`${socket}:${roomId}`),
    },
    quiet,
  );
  const settle = () => new Promise((r) => setImmediate(r));
  const seqs = (socket: string) => (got.get(socket) ?? []).map((f) => `${f.room_id}@${f.seq}`);
  return { inbox, loads, following, settle, seqs };
}

describe('inbox', () => {
  it('activity in one of my rooms while my rooms are still loading reaches me once they are', async () => {
    const { inbox, loads, settle, seqs } = setup();
    inbox.attach('ann', 'phone');
    inbox.activity('a', message('a', 5), 5);
    inbox.activity('elsewhere', message('elsewhere', 6), 6);
    expect(seqs('phone')).toEqual([]);
    loads[0]!.resolve(['a', 'b']);
    await settle();
    expect(seqs('phone')).toEqual(['a@5']);
    inbox.activity('b', message('b', 7), 7);
    expect(seqs('phone')).toEqual(['a@5', 'b@7']);
  });

  it('a room joined while loading gets its activity live, and not a second time from the load', async () => {
    const { inbox, loads, settle, seqs } = setup();
    inbox.attach('ann', 'phone');
    inbox.membership('c', 'ann', true);
    inbox.activity('c', message('c', 8), 8);
    loads[0]!.resolve(['c']);
    await settle();
    expect(seqs('phone')).toEqual(['c@8']);
  });

  it('a room left while loading is not followed, whatever the load says', async () => {
    const { inbox, loads, settle, seqs } = setup();
    inbox.attach('ann', 'phone');
    inbox.membership('d', 'ann', false);
    inbox.activity('d', message('d', 9), 9);
    loads[0]!.resolve(['d']);
    await settle();
    inbox.activity('d', message('d', 10), 10);
    expect(seqs('phone')).toEqual([]);
  });

  it('a socket that follows the room gets no room_activity for it; read markers go to every device; the last socket gone, nothing is kept', async () => {
    const { inbox, loads, following, settle, seqs } = setup();
    inbox.attach('ann', 'phone');
    inbox.attach('ann', 'laptop');
    loads[0]!.resolve(['a']);
    await settle();
    following.add('laptop:a');
    inbox.activity('a', message('a', 11), 11);
    inbox.readMarker('ann', 'a', 11);
    expect(seqs('phone')).toEqual(['a@11', 'a@11']);
    expect(seqs('laptop')).toEqual(['a@11']);
    inbox.detach('ann', 'phone');
    inbox.detach('ann', 'laptop');
    expect(inbox.follows('a')).toBe(false);
    expect(inbox.has('ann')).toBe(false);
  });

  it('an invitation reaches every device of the invitee, even one following no room and with its rooms still loading; nobody else', () => {
    const { inbox, following, seqs } = setup();
    inbox.attach('bob', 'phone');
    inbox.attach('bob', 'laptop');
    inbox.attach('ann', 'desk');
    // A socket that follows the room itself still gets it: the room's own frames never say it.
    following.add('laptop:secret');
    const invitation = {
      room_id: 'secret',
      room_name: 'Secret',
      inviter: { user_id: 'ann', username: 'Ann', avatar: '/a.png' },
      invited_at: '2026-01-01T00:00:00.000Z',
      seq: 4,
    };
    inbox.invitation('bob', { type: 'invited', room_id: 'secret', invitation, seq: 4 });
    inbox.invitation('bob', { type: 'invitation_declined', room_id: 'secret', seq: 5 });
    inbox.invitation('cid', { type: 'invitation_declined', room_id: 'secret', seq: 6 });
    expect(seqs('phone')).toEqual(['secret@4', 'secret@5']);
    expect(seqs('laptop')).toEqual(['secret@4', 'secret@5']);
    expect(seqs('desk')).toEqual([]);
  });
});
