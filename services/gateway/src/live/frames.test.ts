import { type ChatEvent, ServerFrame } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import { effectOf, invitationFrame, subjectUser } from './frames.ts';

const meta = { correlation_id: 'c', causation_id: null, actor: null };
const ev = (type: ChatEvent['type'], data: Record<string, unknown>, version = 1) =>
  ({ id: 'e1', type, version, occurred_at: '2026-01-01T10:00:00.000Z', meta, data }) as ChatEvent;
const ann = { username: 'Ann', avatar: 'https://e.com/ann.png' };

describe('live frames from events', () => {
  it('a post: one message frame, enriched, with the event seq', () => {
    const effect = effectOf(ev('MessagePosted', { room_id: 'r', message_id: 'm1', user_id: 'ann', content: 'hi', client_msg_id: 'c1' }), 42, ann);
    expect(effect).toEqual({
      kind: 'room',
      roomId: 'r',
      frames: [
        {
          type: 'message',
          room_id: 'r',
          seq: 42,
          message: {
            id: 'm1',
            room_id: 'r',
            user_id: 'ann',
            username: 'Ann',
            content: 'hi',
            avatar: 'https://e.com/ann.png',
            timestamp: '2026-01-01T10:00:00.000Z',
            type: 'text',
            seq: 42,
            client_msg_id: 'c1',
            edited_at: null,
            deleted: false,
            reactions: [],
            changed_seq: 42,
          },
        },
      ],
    });
  });

  it('a join: the timeline line first, then member_joined; an unknown user gets the default name and avatar', () => {
    const effect = effectOf(ev('UserJoined', { room_id: 'r', user_id: 'bob' }), 7, { username: null, avatar: null });
    expect(effect).toMatchObject({ kind: 'room', roomId: 'r', joined: 'bob' });
    if (effect.kind !== 'room') throw new Error('not a room effect');
    expect(effect.frames.map((f) => f.type)).toEqual(['message', 'member_joined']);
    expect(effect.frames[0]).toMatchObject({ seq: 7, message: { type: 'system', content: 'bob joined the room', avatar: '/avatars/default/bob.svg' } });
    expect(effect.frames[1]).toMatchObject({ seq: 7, member: { user_id: 'bob', username: 'bob', avatar: '/avatars/default/bob.svg' } });
  });

  it("an edit: message_updated with the edit's own seq (also the copy's changed_seq) and the post's seq, time and client id", () => {
    const effect = effectOf(
      ev(
        'MessageEdited',
        { room_id: 'r', message_id: 'm1', user_id: 'ann', content: 'fixed', message_seq: 40, posted_at: '2026-01-01T09:00:00.000Z', client_msg_id: 'c1' },
        2,
      ),
      45,
      ann,
    );
    if (effect.kind !== 'room') throw new Error('not a room effect');
    expect(effect.frames).toEqual([
      {
        type: 'message_updated',
        room_id: 'r',
        seq: 45,
        message: expect.objectContaining({
          id: 'm1',
          seq: 40,
          content: 'fixed',
          timestamp: '2026-01-01T09:00:00.000Z',
          edited_at: '2026-01-01T10:00:00.000Z',
          deleted: false,
          changed_seq: 45,
        }),
      },
    ]);
  });

  it('a deletion empties the text; a change written before changes named their post is not shown live', () => {
    const deleted = effectOf(
      ev('MessageDeleted', { room_id: 'r', message_id: 'm1', user_id: 'ann', message_seq: 40, posted_at: '2026-01-01T09:00:00.000Z', client_msg_id: null }, 2),
      46,
      ann,
    );
    expect(deleted).toMatchObject({ kind: 'room', frames: [{ type: 'message_updated', message: { content: '', deleted: true } }] });
    const old = effectOf(
      ev('MessageDeleted', { room_id: 'r', message_id: 'm1', user_id: 'ann', message_seq: null, posted_at: null, client_msg_id: null }, 2),
      47,
      ann,
    );
    expect(old).toEqual({ kind: 'none' });
  });

  it('a reaction: message_updated with its own seq, the message as the event carries it, the author’s name (not the reactor’s)', () => {
    const data = {
      room_id: 'r',
      message_id: 'm1',
      user_id: 'bob',
      emoji: '👍',
      author_id: 'ann',
      content: 'fixed',
      edited_at: '2026-01-01T09:30:00.000Z',
      deleted: false,
      message_seq: 40,
      posted_at: '2026-01-01T09:00:00.000Z',
      client_msg_id: null,
      reactions: [{ emoji: '👍', user_ids: ['carl', 'bob'] }],
    };
    expect(subjectUser(ev('ReactionAdded', data))).toBe('ann');
    const effect = effectOf(ev('ReactionAdded', data), 47, ann);
    expect(effect).toMatchObject({
      kind: 'room',
      frames: [
        {
          type: 'message_updated',
          seq: 47,
          message: { id: 'm1', seq: 40, user_id: 'ann', username: 'Ann', content: 'fixed', reactions: [{ emoji: '👍', count: 2, user_ids: ['carl', 'bob'] }] },
        },
      ],
    });
  });

  it('profile changes go to the rooms the user is in; registrations and room creation show nothing', () => {
    expect(effectOf(ev('ProfileUpdated', { user_id: 'ann', username: 'Annie', avatar: null }), 9, ann)).toEqual({ kind: 'profile', userId: 'ann', seq: 9 });
    expect(effectOf(ev('UserRegistered', { user_id: 'ann', username: 'Ann', avatar: null }), 1, ann)).toEqual({ kind: 'none' });
    expect(effectOf(ev('RoomCreated', { room_id: 'r', name: 'R', created_by: null }), 2, ann)).toEqual({ kind: 'none' });
    expect(subjectUser(ev('RoomCreated', { room_id: 'r', name: 'R', created_by: null }))).toBeNull();
  });
});

describe('invitation frames (for the invitee’s devices, through the inbox)', () => {
  const invited = ev('UserInvited', { room_id: 'r', user_id: 'bob', invited_by: 'ann', room_name: 'Plans' }, 2);

  it('an invitation: `invited` for the invitee, with the room’s name and the inviter’s profile, valid as a server frame', () => {
    const told = invitationFrame(invited, 7, ann);
    expect(told).toEqual({
      userId: 'bob',
      frame: {
        type: 'invited',
        room_id: 'r',
        seq: 7,
        invitation: {
          room_id: 'r',
          room_name: 'Plans',
          inviter: { user_id: 'ann', username: 'Ann', avatar: 'https://e.com/ann.png' },
          invited_at: '2026-01-01T10:00:00.000Z',
          seq: 7,
        },
      },
    });
    expect(ServerFrame.parse(told!.frame)).toEqual(told!.frame);
    // Nothing for the room's own sockets: the invitee is not in it.
    expect(effectOf(invited, 7, ann)).toEqual({ kind: 'none' });
  });

  it('an unknown inviter gets the generated name and avatar; an old invitation without a name shows the room id', () => {
    const old = ev('UserInvited', { room_id: 'r', user_id: 'bob', invited_by: 'ann', room_name: null }, 2);
    const told = invitationFrame(old, 8, { username: null, avatar: null });
    expect(told?.frame).toMatchObject({ invitation: { room_name: 'r', inviter: { user_id: 'ann', username: 'ann', avatar: '/avatars/default/ann.svg' } } });
  });

  it('a decline: `invitation_declined` for the invitee; other events: nothing', () => {
    const told = invitationFrame(ev('InvitationDeclined', { room_id: 'r', user_id: 'bob' }), 9, ann);
    expect(told).toEqual({ userId: 'bob', frame: { type: 'invitation_declined', room_id: 'r', seq: 9 } });
    expect(ServerFrame.parse(told!.frame)).toEqual(told!.frame);
    expect(invitationFrame(ev('UserJoined', { room_id: 'r', user_id: 'bob' }), 10, ann)).toBeNull();
  });
});
