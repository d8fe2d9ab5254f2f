import { describe, expect, it } from 'vitest';
import { appErrorOf, parseEvent, type RoomEvent } from '@chat/contracts';
import { decide, fold, isMember, mayRead, type RoomCommand, type RoomDraft } from './room.ts';

const meta = { correlation_id: 'c', causation_id: null, actor: null };
const stored = (draft: RoomDraft, i: number): RoomEvent => ({ id: `e${i}`, version: 1, occurred_at: '2026-01-01T00:00:00.000Z', meta, ...draft }) as RoomEvent;

/** given these events, when this command: the events it decides (or the error it throws). */
const spec = (given: RoomDraft[]) => ({
  when: (command: RoomCommand) => () => decide(command, fold(given.map(stored))),
});

const created: RoomDraft = { type: 'RoomCreated', data: { room_id: 'lobby', name: 'Lobby', created_by: 'ann', visibility: 'public' } };
const annJoined: RoomDraft = { type: 'UserJoined', data: { room_id: 'lobby', user_id: 'ann' } };
const bobJoined: RoomDraft = { type: 'UserJoined', data: { room_id: 'lobby', user_id: 'bob' } };
const annLeft: RoomDraft = { type: 'UserLeft', data: { room_id: 'lobby', user_id: 'ann' } };
const join = (user_id: string): RoomCommand => ({ type: 'JoinRoom', data: { room_id: 'lobby', user_id } });
const leave = (user_id: string): RoomCommand => ({ type: 'LeaveRoom', data: { room_id: 'lobby', user_id } });
const post = (user_id: string): RoomCommand => ({
  type: 'PostMessage',
  data: { room_id: 'lobby', user_id, message_id: 'm1', content: 'hi', client_msg_id: null },
});

const errorCode = (fn: () => unknown) => appErrorOf(fn)?.code;

describe('room decider', () => {
  it('creates a room that does not exist', () => {
    const then = spec([]).when({ type: 'CreateRoom', data: { room_id: 'lobby', name: 'Lobby', user_id: 'ann' } })();
    expect(then).toEqual([created]);
  });

  it('refuses to create a room twice', () => {
    expect(errorCode(spec([created]).when({ type: 'CreateRoom', data: { room_id: 'lobby', name: 'X', user_id: 'bob' } }))).toBe('conflict');
  });

  it('creates the room implicitly on the first join', () => {
    expect(spec([]).when(join('ann'))()).toEqual([
      { type: 'RoomCreated', data: { room_id: 'lobby', name: 'lobby', created_by: 'ann', visibility: 'public' } },
      annJoined,
    ]);
  });

  it('joins an existing room', () => {
    expect(spec([created]).when(join('ann'))()).toEqual([annJoined]);
  });

  it('joining twice says nothing new', () => {
    expect(spec([created, annJoined]).when(join('ann'))()).toEqual([]);
  });

  it('rejoins after leaving', () => {
    expect(spec([created, annJoined, annLeft]).when(join('ann'))()).toEqual([annJoined]);
  });

  it('leaves a room one is in, and leaving again says nothing new', () => {
    expect(spec([created, annJoined]).when(leave('ann'))()).toEqual([annLeft]);
    expect(spec([created, annJoined, annLeft]).when(leave('ann'))()).toEqual([]);
  });

  it('cannot leave a room that does not exist', () => {
    expect(errorCode(spec([]).when(leave('ann')))).toBe('not_found');
  });

  it('posts for a member', () => {
    expect(spec([created, annJoined]).when(post('ann'))()).toEqual([
      { type: 'MessagePosted', data: { room_id: 'lobby', user_id: 'ann', message_id: 'm1', content: 'hi', client_msg_id: null } },
    ]);
  });

  it('refuses a post from someone who has not joined, or has left', () => {
    expect(errorCode(spec([created]).when(post('bob')))).toBe('not_member');
    expect(errorCode(spec([created, annJoined, annLeft]).when(post('ann')))).toBe('not_member');
  });

  it('refuses a post to a room that does not exist', () => {
    expect(errorCode(spec([]).when(post('ann')))).toBe('not_found');
  });

  it('folds membership from events', () => {
    const state = fold([created, annJoined, bobJoined, annLeft].map(stored));
    expect(isMember(state, 'bob')).toBe(true);
    expect(isMember(state, 'ann')).toBe(false);
  });
});

describe('private rooms', () => {
  const secret: RoomDraft = { type: 'RoomCreated', data: { room_id: 'lobby', name: 'Secret', created_by: 'ann', visibility: 'private' } };
  const invite = (user_id: string, invited_by = 'ann'): RoomCommand => ({ type: 'InviteUser', data: { room_id: 'lobby', user_id, invited_by } });
  const bobInvited: RoomDraft = { type: 'UserInvited', data: { room_id: 'lobby', user_id: 'bob', invited_by: 'ann', room_name: 'Secret' } };
  const decline = (user_id: string): RoomCommand => ({ type: 'DeclineInvitation', data: { room_id: 'lobby', user_id } });
  const bobDeclined: RoomDraft = { type: 'InvitationDeclined', data: { room_id: 'lobby', user_id: 'bob' } };
  const bobLeft: RoomDraft = { type: 'UserLeft', data: { room_id: 'lobby', user_id: 'bob' } };

  it('the creator of a private room is its first member; a public room starts empty, as before', () => {
    expect(spec([]).when({ type: 'CreateRoom', data: { room_id: 'lobby', name: 'Secret', user_id: 'ann', visibility: 'private' } })()).toEqual([
      secret,
      annJoined,
    ]);
    expect(spec([]).when({ type: 'CreateRoom', data: { room_id: 'lobby', name: 'Lobby', user_id: 'ann' } })()).toEqual([created]);
  });

  it('a private room whose creation stopped after its first append is completed by its creator asking again, and by no one else', () => {
    const create = (user_id: string): RoomCommand => ({ type: 'CreateRoom', data: { room_id: 'lobby', name: 'Secret', user_id, visibility: 'private' } });
    expect(spec([secret]).when(create('ann'))()).toEqual([annJoined]);
    expect(errorCode(spec([secret]).when(create('bob')))).toBe('conflict');
    expect(errorCode(spec([secret, annJoined]).when(create('ann')))).toBe('conflict');
  });

  it('refuses a join without an invitation', () => {
    expect(errorCode(spec([secret, annJoined]).when(join('bob')))).toBe('forbidden');
  });

  it('a member invites; the invited user joins, which uses the invitation up', () => {
    expect(spec([secret, annJoined]).when(invite('bob'))()).toEqual([bobInvited]);
    expect(spec([secret, annJoined, bobInvited]).when(join('bob'))()).toEqual([bobJoined]);
    expect(errorCode(spec([secret, annJoined, bobInvited, bobJoined, bobLeft]).when(join('bob')))).toBe('forbidden');
  });

  it('inviting again, or inviting a member, says nothing new', () => {
    expect(spec([secret, annJoined, bobInvited]).when(invite('bob'))()).toEqual([]);
    expect(spec([secret, annJoined]).when(invite('ann'))()).toEqual([]);
  });

  it('only members invite; a public room needs no invitation; a missing room is not found', () => {
    expect(errorCode(spec([secret, annJoined]).when(invite('cid', 'bob')))).toBe('not_member');
    expect(errorCode(spec([created, annJoined]).when(invite('bob')))).toBe('bad_request');
    expect(errorCode(spec([]).when(invite('bob')))).toBe('not_found');
  });

  it('the invitation names the room as it is, so the invitee can be told where without a look-up', () => {
    const renamed: RoomDraft = { ...secret, data: { ...secret.data, name: 'Plans for Q3' } } as RoomDraft;
    expect(spec([renamed, annJoined]).when(invite('bob'))()).toMatchObject([{ data: { room_name: 'Plans for Q3' } }]);
  });

  it('the invitee declines: the invitation is gone, a join is refused, and a new invitation works again', () => {
    expect(spec([secret, annJoined, bobInvited]).when(decline('bob'))()).toEqual([bobDeclined]);
    expect(errorCode(spec([secret, annJoined, bobInvited, bobDeclined]).when(join('bob')))).toBe('forbidden');
    expect(spec([secret, annJoined, bobInvited, bobDeclined]).when(invite('bob'))()).toEqual([bobInvited]);
    const again = spec([secret, annJoined, bobInvited, bobDeclined, bobInvited]);
    expect(again.when(join('bob'))()).toEqual([bobJoined]);
  });

  it('declining says nothing when there is nothing to decline (joined, or a public room); a missing room is not found', () => {
    expect(spec([secret, annJoined, bobInvited, bobJoined]).when(decline('bob'))()).toEqual([]);
    expect(spec([secret, annJoined]).when(decline('ann'))()).toEqual([]);
    expect(spec([created, annJoined]).when(decline('bob'))()).toEqual([]);
    expect(errorCode(spec([]).when(decline('bob')))).toBe('not_found');
  });

  it('to a user neither member nor invited, a private room is not found: a decline or a leave cannot probe it', () => {
    const never = spec([secret, annJoined]);
    const declined = spec([secret, annJoined, bobInvited, bobDeclined]);
    const left = spec([secret, annJoined, bobInvited, bobJoined, bobLeft]);
    for (const s of [never, declined, left]) {
      expect(errorCode(s.when(decline('bob')))).toBe('not_found');
      expect(errorCode(s.when({ type: 'LeaveRoom', data: { room_id: 'lobby', user_id: 'bob' } }))).toBe('not_found');
    }
    // A public room's leave stays idempotent for anyone.
    expect(spec([created, annJoined]).when({ type: 'LeaveRoom', data: { room_id: 'lobby', user_id: 'bob' } })()).toEqual([]);
  });

  it('after a join and a leave no invitation is pending: the leaver cannot join again', () => {
    const state = fold([secret, annJoined, bobInvited, bobJoined, bobLeft].map(stored));
    expect(state.status === 'open' && [...state.invited]).toEqual([]);
    expect(errorCode(spec([secret, annJoined, bobInvited, bobJoined, bobLeft]).when(join('bob')))).toBe('forbidden');
  });

  it('a version 1 invitation (no room name) reads with room_name null', () => {
    const old = {
      id: 'e1',
      type: 'UserInvited',
      version: 1,
      occurred_at: '2026-01-01T00:00:00.000Z',
      meta,
      data: { room_id: 'lobby', user_id: 'bob', invited_by: 'ann' },
    };
    const parsed = parseEvent(old);
    expect(parsed.success && parsed.data).toMatchObject({ version: 2, data: { room_name: null, user_id: 'bob' } });
  });

  it('joining a missing room still creates it public (the seed’s clients), never private', () => {
    const [made] = spec([]).when(join('ann'))();
    expect(made).toMatchObject({ type: 'RoomCreated', data: { visibility: 'public' } });
  });

  it('who may read: anyone a public room, only members a private one', () => {
    expect(mayRead(fold([created].map(stored)), 'bob')).toBe(true);
    expect(mayRead(fold([created].map(stored)), null)).toBe(true);
    const state = fold([secret, annJoined, bobInvited].map(stored));
    expect(mayRead(state, 'ann')).toBe(true);
    expect(mayRead(state, 'bob')).toBe(false);
    expect(mayRead(state, null)).toBe(false);
  });

  it('a room event written before rooms had a visibility reads as public', () => {
    const old = {
      id: 'e0',
      type: 'RoomCreated',
      version: 1,
      occurred_at: '2026-01-01T00:00:00.000Z',
      meta,
      data: { room_id: 'lobby', name: 'Old', created_by: null },
    };
    const parsed = parseEvent(old);
    expect(parsed.success && parsed.data.type === 'RoomCreated' && parsed.data.data.visibility).toBe('public');
  });
});
