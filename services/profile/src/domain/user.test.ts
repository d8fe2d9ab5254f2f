import { describe, expect, it } from 'vitest';
import { appErrorOf, type Avatar, type EventDraft, type UserEvent } from '@chat/contracts';
import { ANONYMOUS, decide, evolve, initialState, type UserCommand } from './user.ts';

const meta = { correlation_id: 'c', causation_id: null, actor: null };
const given = (...drafts: EventDraft<UserEvent>[]) =>
  drafts.reduce((state, d, i) => evolve(state, { id: `e${i}`, version: 1, occurred_at: '2026-01-01T00:00:00.000Z', meta, ...d } as UserEvent), initialState());
const code = (fn: () => unknown) => appErrorOf(fn)?.code;

const custom: Avatar = { kind: 'external', url: 'https://cdn.example.com/ann.png' };
const other: Avatar = { kind: 'external', url: 'https://cdn.example.com/other.png' };
const registered: EventDraft<UserEvent> = { type: 'UserRegistered', data: { user_id: 'ann', username: 'Ann', avatar: custom } };
const noAvatar: EventDraft<UserEvent> = { type: 'UserRegistered', data: { user_id: 'ann', username: 'Ann', avatar: null } };
const ensure = (avatar?: Avatar, username?: string): UserCommand => ({ type: 'EnsureUser', data: { user_id: 'ann', username, avatar } });

describe('user decider', () => {
  it('registers a new user', () => {
    expect(decide({ type: 'RegisterUser', data: { user_id: 'ann', username: 'Ann', avatar: custom } }, given())).toEqual([registered]);
  });

  it('refuses to register an id twice', () => {
    expect(code(() => decide({ type: 'RegisterUser', data: { user_id: 'ann', username: 'X', avatar: null } }, given(registered)))).toBe('conflict');
  });

  it('ensure registers an unknown user, named Anonymous when no name is given', () => {
    expect(decide(ensure(), given())).toEqual([{ type: 'UserRegistered', data: { user_id: 'ann', username: ANONYMOUS, avatar: null } }]);
  });

  it('ensure never replaces an avatar the user already has (the seed bug)', () => {
    expect(decide(ensure(other), given(registered))).toEqual([]);
  });

  it('ensure fills an empty avatar', () => {
    expect(decide(ensure(custom), given(noAvatar))).toEqual([{ type: 'ProfileUpdated', data: { user_id: 'ann', username: 'Ann', avatar: custom } }]);
  });

  it('ensure keeps the existing name', () => {
    expect(decide(ensure(undefined, 'Someone else'), given(registered))).toEqual([]);
  });

  it('updates name and avatar as one event carrying the whole profile', () => {
    expect(decide({ type: 'UpdateProfile', data: { user_id: 'ann', username: 'Annie', avatar: undefined } }, given(registered))).toEqual([
      { type: 'ProfileUpdated', data: { user_id: 'ann', username: 'Annie', avatar: custom } },
    ]);
    expect(decide({ type: 'UpdateProfile', data: { user_id: 'ann', username: undefined, avatar: null } }, given(registered))).toEqual([
      { type: 'ProfileUpdated', data: { user_id: 'ann', username: 'Ann', avatar: null } },
    ]);
  });

  it('an update that changes nothing says nothing', () => {
    expect(decide({ type: 'UpdateProfile', data: { user_id: 'ann', username: 'Ann', avatar: custom } }, given(registered))).toEqual([]);
  });

  it('cannot update an unknown user', () => {
    expect(code(() => decide({ type: 'UpdateProfile', data: { user_id: 'ann', username: 'A', avatar: undefined } }, given()))).toBe('not_found');
  });
});
