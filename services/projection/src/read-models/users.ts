import { avatarKind, avatarUrl, type ProfileUpdated, type UserRegistered } from '@chat/contracts';
import { handledBy, type ReadModel } from './types.ts';

export interface UserRow {
  id: string;
  username: string;
  avatar_url: string;
  avatar_kind: 'custom' | 'external' | 'default';
  seq: number;
}

/** Users as history shows them: each user's latest profile (every event carries the whole profile). */
export const usersModel: ReadModel<{ upserts: UserRow[] }> = {
  name: 'users',
  handles: ['UserRegistered', 'ProfileUpdated'],
  plan(events) {
    const latest = new Map<string, UserRow>();
    for (const { seq, event } of events.filter(handledBy(usersModel))) {
      const { user_id, username, avatar } = (event as UserRegistered | ProfileUpdated).data;
      latest.set(user_id, { id: user_id, username, avatar_url: avatarUrl(avatar, user_id), avatar_kind: avatarKind(avatar), seq });
    }
    return { upserts: [...latest.values()] };
  },
};
