import type { StoredEvent } from '@chat/bus';
import type { ChatEvent } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import { invitationsModel, membersModel, messagesModel, planAll, readMarkersModel, roomsModel, usersModel } from './index.ts';

const meta = { correlation_id: 'c', causation_id: null, actor: null };
const at = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;
let n = 0;
/** A stored event at `seq`, `minute` minutes past midnight. */
const e = (seq: number, type: ChatEvent['type'], data: Record<string, unknown>, minute = 0, version = 1): StoredEvent =>
  ({ seq, event: { id: `e${++n}`, type, version, occurred_at: at(minute), meta, data } as ChatEvent }) as StoredEvent;
const post = (seq: number, room: string, id: string, user: string, content: string) =>
  e(seq, 'MessagePosted', { room_id: room, message_id: id, user_id: user, content, client_msg_id: null });
const change = { message_seq: 2, posted_at: at(0), client_msg_id: null };

describe('read models, given events, plan rows', () => {
  it('users: the latest profile per user wins, with its avatar as a URL', () => {
    const plan = usersModel.plan([
      e(1, 'UserRegistered', { user_id: 'ann', username: 'Ann', avatar: null }),
      e(2, 'ProfileUpdated', { user_id: 'ann', username: 'Annie', avatar: { kind: 'external', url: 'https://e.com/a.png' } }),
      e(3, 'UserRegistered', { user_id: 'bob', username: 'Bob', avatar: { kind: 'custom', key: 'a'.repeat(64) } }),
    ]);
    expect(plan.upserts).toEqual([
      { id: 'ann', username: 'Annie', avatar_url: 'https://e.com/a.png', avatar_kind: 'external', seq: 2 },
      { id: 'bob', username: 'Bob', avatar_url: `/avatars/${'a'.repeat(64)}.webp`, avatar_kind: 'custom', seq: 3 },
    ]);
  });

  it('members: a join then a leave in one batch is one removal; a leave then a rejoin keeps the new time', () => {
    const plan = membersModel.plan([
      e(1, 'UserJoined', { room_id: 'r', user_id: 'ann' }, 1),
      e(2, 'UserLeft', { room_id: 'r', user_id: 'ann' }, 2),
      e(3, 'UserLeft', { room_id: 'r', user_id: 'bob' }, 3),
      e(4, 'UserJoined', { room_id: 'r', user_id: 'bob' }, 4),
    ]);
    expect(plan.left).toEqual([{ room_id: 'r', user_id: 'ann' }]);
    expect(plan.joined).toEqual([{ room_id: 'r', user_id: 'bob', joined_at: at(4), joined_seq: 4 }]);
  });

  it('rooms: created once, the newest timeline seq per room, and a recount where membership moved', () => {
    const plan = roomsModel.plan([
      e(1, 'RoomCreated', { room_id: 'r', name: 'R', created_by: 'ann', visibility: 'private' }),
      e(2, 'UserJoined', { room_id: 'r', user_id: 'ann' }),
      post(3, 'r', 'm1', 'ann', 'hi'),
      post(4, 'q', 'm2', 'bob', 'yo'),
      e(5, 'UserJoined', { room_id: 'q', user_id: 'ann' }),
    ]);
    expect(plan.created).toEqual([{ id: 'r', name: 'R', created_by: 'ann', created_at: at(0), last_seq: 1, visibility: 'private' }]);
    // The preview is the newest post, not the newest timeline line (a join is activity, not a message).
    expect(plan.lastMessage).toEqual([
      { room_id: 'r', seq: 3 },
      { room_id: 'q', seq: 4 },
    ]);
    expect(plan.activity).toEqual([
      { room_id: 'r', last_seq: 3 },
      { room_id: 'q', last_seq: 5 },
    ]);
    expect(plan.recount).toEqual(['r', 'q']);
  });

  it('messages: posts and system lines as rows; several changes to one message fold into its last, with that seq', () => {
    const plan = messagesModel.plan([
      e(1, 'UserJoined', { room_id: 'r', user_id: 'ann' }),
      post(2, 'r', 'm1', 'ann', 'helo'),
      e(3, 'MessageEdited', { room_id: 'r', message_id: 'm1', user_id: 'ann', content: 'hello', ...change }, 5, 2),
      e(4, 'MessageDeleted', { room_id: 'r', message_id: 'm1', user_id: 'ann', ...change }, 6, 2),
    ]);
    expect(plan.inserts.map((r) => [r.seq, r.type, r.content])).toEqual([
      [1, 'system', 'joined'],
      [2, 'text', 'helo'],
    ]);
    expect(plan.changes).toEqual([{ id: 'm1', room_id: 'r', content: '', deleted: true, edited_at: at(6), changed_seq: 4 }]);
  });

  it('read markers: the furthest per user and room, never past the event that moves it, whatever the order', () => {
    const plan = readMarkersModel.plan([
      e(10, 'ReadMarkerMoved', { room_id: 'r', user_id: 'ann', seq: 8 }),
      e(11, 'ReadMarkerMoved', { room_id: 'r', user_id: 'ann', seq: 5 }),
      e(12, 'ReadMarkerMoved', { room_id: 'q', user_id: 'ann', seq: 9_000_000 }),
      e(13, 'ReadMarkerMoved', { room_id: 'r', user_id: 'bob', seq: 3 }),
    ]);
    expect(plan.markers).toEqual([
      { user_id: 'ann', room_id: 'r', seq: 8 },
      { user_id: 'ann', room_id: 'q', seq: 12 },
      { user_id: 'bob', room_id: 'r', seq: 3 },
    ]);
  });

  it('invitations: pending until the invitee joins or declines; the last word per room and invitee wins', () => {
    const invite = (seq: number, room: string, user: string, by = 'ann', minute = 0) =>
      e(seq, 'UserInvited', { room_id: room, user_id: user, invited_by: by, room_name: room.toUpperCase() }, minute, 2);
    const plan = invitationsModel.plan([
      invite(1, 'r', 'bob', 'ann', 1),
      invite(2, 'r', 'cid', 'ann', 2),
      e(3, 'UserJoined', { room_id: 'r', user_id: 'bob' }),
      e(4, 'InvitationDeclined', { room_id: 'r', user_id: 'cid' }),
      // Declined, then invited again (by someone else): pending, as the newer invitation says.
      invite(5, 'q', 'dan', 'ann', 5),
      e(6, 'InvitationDeclined', { room_id: 'q', user_id: 'dan' }),
      invite(7, 'q', 'dan', 'eve', 7),
      // A join without an invitation (a public room) ends nothing there is; the delete is by key.
      e(8, 'UserJoined', { room_id: 'pub', user_id: 'eve' }),
      // A leave is no business of invitations.
      e(9, 'UserLeft', { room_id: 'r', user_id: 'bob' }),
    ]);
    expect(plan.pending).toEqual([{ room_id: 'q', user_id: 'dan', invited_by: 'eve', invited_at: at(7), seq: 7 }]);
    expect(plan.ended).toEqual([
      { room_id: 'r', user_id: 'bob' },
      { room_id: 'r', user_id: 'cid' },
      { room_id: 'pub', user_id: 'eve' },
    ]);
    // Split across two batches, the same events plan the same writes: the invitation in the first, its end in the second.
    const first = invitationsModel.plan([invite(1, 'r', 'bob', 'ann', 1)]);
    const second = invitationsModel.plan([e(3, 'UserJoined', { room_id: 'r', user_id: 'bob' })]);
    expect(first.pending).toHaveLength(1);
    expect(second).toEqual({ pending: [], ended: [{ room_id: 'r', user_id: 'bob' }] });
  });

  it('every model ignores what it does not handle, and an empty batch plans nothing', () => {
    const plans = planAll([]);
    expect(plans).toEqual({
      users: { upserts: [] },
      rooms: { created: [], activity: [], recount: [], lastMessage: [] },
      members: { joined: [], left: [] },
      messages: { inserts: [], changes: [] },
      readMarkers: { markers: [] },
      invitations: { pending: [], ended: [] },
    });
    expect(usersModel.plan([post(1, 'r', 'm', 'u', 'x')]).upserts).toEqual([]);
  });

  it("timestamps: the services' own form goes as it is; any other the schema admits (hundreds of fraction digits, which Postgres refuses) to the millisecond", () => {
    const long = {
      ...post(7, 'r', 'm7', 'ann', 'hi'),
      event: { ...post(7, 'r', 'm7', 'ann', 'hi').event, occurred_at: `2026-01-01T00:05:00.123${'9'.repeat(300)}Z` },
    };
    const short = { ...post(8, 'r', 'm8', 'ann', 'hi'), event: { ...post(8, 'r', 'm8', 'ann', 'hi').event, occurred_at: '2026-01-01T00:06:00Z' } };
    const plan = messagesModel.plan([post(6, 'r', 'm6', 'ann', 'hi'), long as StoredEvent, short as StoredEvent]);
    expect(plan.inserts.map((r) => r.created_at)).toEqual([at(0), '2026-01-01T00:05:00.123Z', '2026-01-01T00:06:00.000Z']);
  });
});
