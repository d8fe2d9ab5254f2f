import { describe, expect, it } from 'vitest';
import { appErrorOf, type RoomEvent } from '@chat/contracts';
import { decide, fold, isMember, type RoomCommand, type RoomDraft } from './room.ts';

const meta = { correlation_id: 'c', causation_id: null, actor: null };
const stored = (draft: RoomDraft, i: number): RoomEvent => ({ id: `e${i}`, version: 1, occurred_at: '2026-01-01T00:00:00.000Z', meta, ...draft }) as RoomEvent;

/** given these events, when this command: the events it decides (or the error it throws). */
const spec = (given: RoomDraft[]) => ({
  when: (command: RoomCommand) => () => decide(command, fold(given.map(stored))),
});

const created: RoomDraft = { type: 'RoomCreated', data: { room_id: 'lobby', name: 'Lobby', created_by: 'ann' } };
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
    expect(spec([]).when(join('ann'))()).toEqual([{ type: 'RoomCreated', data: { room_id: 'lobby', name: 'lobby', created_by: 'ann' } }, annJoined]);
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
