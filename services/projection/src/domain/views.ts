import { defaultAvatarPath, type MemberView, type MessageView, type RoomView, type UserView } from '@chat/contracts';
import type { MessageRow, RoomRow, UserRow } from '../db/schema.ts';

/** A message row with its author's current profile (null when the author is unknown). */
export type MessageWithAuthor = MessageRow & { username: string | null; avatar_url: string | null };

const SYSTEM_TEXT: Record<string, (name: string) => string> = {
  joined: (name) => `${name} joined the room`,
  left: (name) => `${name} left the room`,
};

/**
 * The seed's message shape, built when read: name and avatar are the author's current ones, and
 * the avatar is never empty (an unknown author gets the generated default).
 */
export function toMessageView(row: MessageWithAuthor): MessageView {
  const username = row.username ?? row.user_id;
  const system = SYSTEM_TEXT[row.content];
  return {
    id: row.id,
    room_id: row.room_id,
    user_id: row.user_id,
    username,
    content: row.type === 'system' && system ? system(username) : row.content,
    avatar: row.avatar_url || defaultAvatarPath(row.user_id),
    timestamp: row.created_at.toISOString(),
    type: row.type,
    seq: row.seq,
    client_msg_id: row.client_msg_id,
    edited_at: row.edited_at ? row.edited_at.toISOString() : null,
    deleted: row.deleted,
  };
}

export const toRoomView = (row: RoomRow): RoomView => ({
  id: row.id,
  name: row.name,
  created_by: row.created_by,
  created_at: row.created_at.toISOString(),
  member_count: row.member_count,
  last_seq: row.last_seq,
});

export const toUserView = (row: Pick<UserRow, 'id' | 'username' | 'avatar_url' | 'avatar_kind'>): UserView => ({
  id: row.id,
  username: row.username,
  avatar: row.avatar_url,
  avatar_kind: row.avatar_kind,
});

export function toMemberView(row: { user_id: string; joined_at: Date; username: string | null; avatar_url: string | null }): MemberView {
  return {
    user_id: row.user_id,
    username: row.username ?? row.user_id,
    avatar: row.avatar_url || defaultAvatarPath(row.user_id),
    joined_at: row.joined_at.toISOString(),
  };
}
