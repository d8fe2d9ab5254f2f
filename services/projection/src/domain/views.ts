import { type MemberView, type MessageView, memberView, messageView, type RoomView, type UserView } from '@chat/contracts';
import type { MessageRow, RoomRow, UserRow } from '../db/schema.ts';

/** A message row with its author's current profile (null when the author is unknown). */
export type MessageWithAuthor = MessageRow & { username: string | null; avatar_url: string | null };

/** The seed's message shape, built when read from the row and its author's current profile. */
export const toMessageView = (row: MessageWithAuthor): MessageView =>
  messageView(
    {
      id: row.id,
      room_id: row.room_id,
      user_id: row.user_id,
      type: row.type,
      content: row.content,
      client_msg_id: row.client_msg_id,
      created_at: row.created_at.toISOString(),
      edited_at: row.edited_at ? row.edited_at.toISOString() : null,
      deleted: row.deleted,
      seq: row.seq,
      reactions: row.reactions,
      changed_seq: row.changed_seq,
    },
    { username: row.username, avatar: row.avatar_url },
  );

export const toRoomView = (row: RoomRow): RoomView => ({
  id: row.id,
  name: row.name,
  created_by: row.created_by,
  created_at: row.created_at.toISOString(),
  member_count: row.member_count,
  visibility: row.visibility,
  last_seq: row.last_seq,
});

export const toUserView = (row: Pick<UserRow, 'id' | 'username' | 'avatar_url' | 'avatar_kind'>): UserView => ({
  id: row.id,
  username: row.username,
  avatar: row.avatar_url,
  avatar_kind: row.avatar_kind,
});

export const toMemberView = (row: { user_id: string; joined_at: Date; username: string | null; avatar_url: string | null }): MemberView =>
  memberView(row.user_id, row.joined_at.toISOString(), { username: row.username, avatar: row.avatar_url });
