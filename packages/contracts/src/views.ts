import { z } from 'zod';
import { ClientMsgId, RoomId, Seq, UserId } from './ids.ts';
import { AvatarKind } from './profile.ts';

export const UserView = z.object({
  id: UserId,
  username: z.string(),
  avatar: z.string().min(1),
  avatar_kind: AvatarKind,
});
export type UserView = z.infer<typeof UserView>;

/** The seed frontend's message shape, kept field for field, plus cursor and edit fields. */
export const MessageView = z.object({
  id: z.string(),
  room_id: RoomId,
  user_id: UserId,
  username: z.string(),
  content: z.string(),
  avatar: z.string().min(1),
  timestamp: z.string(),
  type: z.enum(['text', 'system']),
  seq: Seq,
  client_msg_id: ClientMsgId.nullable(),
  edited_at: z.string().nullable(),
  deleted: z.boolean(),
});
export type MessageView = z.infer<typeof MessageView>;

export const RoomView = z.object({
  id: RoomId,
  name: z.string(),
  created_by: UserId.nullable(),
  created_at: z.string(),
  member_count: z.number().int().nonnegative(),
  last_seq: Seq,
});
export type RoomView = z.infer<typeof RoomView>;

export const MemberView = z.object({
  user_id: UserId,
  username: z.string(),
  avatar: z.string().min(1),
  joined_at: z.string(),
});
export type MemberView = z.infer<typeof MemberView>;
