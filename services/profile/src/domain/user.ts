import { AppError, type Avatar, type EventDraft, type UserEvent } from '@chat/contracts';

export type NoUser = { status: 'none' };
export type RegisteredUser = { status: 'registered'; id: string; username: string; avatar: Avatar | null };
export type UserState = NoUser | RegisteredUser;

export type RegisterUser = { type: 'RegisterUser'; data: { user_id: string; username: string; avatar: Avatar | null } };
/** Open mode: make sure the user exists; an avatar given only fills an empty one. */
export type EnsureUser = { type: 'EnsureUser'; data: { user_id: string; username: string | undefined; avatar: Avatar | undefined } };
export type UpdateProfile = {
  type: 'UpdateProfile';
  data: { user_id: string; username: string | undefined; avatar: Avatar | null | undefined };
};
export type UserCommand = RegisterUser | EnsureUser | UpdateProfile;

export const ANONYMOUS = 'Anonymous';

export const initialState = (): UserState => ({ status: 'none' });

export function evolve(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'UserRegistered':
    case 'ProfileUpdated':
      return { status: 'registered', id: event.data.user_id, username: event.data.username, avatar: event.data.avatar };
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

const sameAvatar = (a: Avatar | null, b: Avatar | null): boolean => JSON.stringify(a) === JSON.stringify(b);

export function decide(command: UserCommand, state: UserState): EventDraft<UserEvent>[] {
  switch (command.type) {
    case 'RegisterUser': {
      if (state.status === 'registered') throw new AppError('conflict', `user ${command.data.user_id} already exists`);
      return [{ type: 'UserRegistered', data: { ...command.data } }];
    }
    case 'EnsureUser': {
      const { user_id, username, avatar } = command.data;
      if (state.status === 'none') {
        return [{ type: 'UserRegistered', data: { user_id, username: username ?? ANONYMOUS, avatar: avatar ?? null } }];
      }
      // A frontend's fallback avatar must never overwrite the one the user chose.
      if (avatar && state.avatar === null) {
        return [{ type: 'ProfileUpdated', data: { user_id, username: state.username, avatar } }];
      }
      return [];
    }
    case 'UpdateProfile': {
      if (state.status === 'none') throw new AppError('not_found', `user ${command.data.user_id} does not exist`);
      const username = command.data.username ?? state.username;
      const avatar = command.data.avatar === undefined ? state.avatar : command.data.avatar;
      if (username === state.username && sameAvatar(avatar, state.avatar)) return [];
      return [{ type: 'ProfileUpdated', data: { user_id: command.data.user_id, username, avatar } }];
    }
    default: {
      const _exhaustive: never = command;
      throw new AppError('bad_request', 'unknown command');
    }
  }
}
