import { z } from 'zod';
import { ClientMsgId, RoomId, Seq, UserId } from './ids.ts';
import { AvatarKind, defaultAvatarPath } from './profile.ts';
import { Visibility } from './events.ts';

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
  /** Emojis on the message, in the order they first appeared: how many, and who (whether I did: my id is there). */
  reactions: z.array(z.object({ emoji: z.string(), count: z.number().int().positive(), user_ids: z.array(UserId) })),
  /**
   * The seq of the newest event this copy shows: its post's, or its last edit's, deletion's or
   * reaction's. Of two copies of a message (a live frame, an action's answer, a history page), the
   * one with the higher `changed_seq` is the newer, whichever arrived last.
   */
  changed_seq: Seq,
});
export type MessageView = z.infer<typeof MessageView>;

export const RoomView = z.object({
  id: RoomId,
  name: z.string(),
  created_by: UserId.nullable(),
  created_at: z.string(),
  member_count: z.number().int().nonnegative(),
  last_seq: Seq,
  visibility: Visibility,
});
export type RoomView = z.infer<typeof RoomView>;

/**
 * One of my rooms, as a sidebar shows it: the room, my unread count (messages of others after my
 * read marker, at most `UNREAD_MAX`), where I have read to, and its last message.
 */
export const UNREAD_MAX = 999;
export const MyRoomView = RoomView.extend({
  unread: z.number().int().nonnegative().max(UNREAD_MAX),
  read_seq: Seq,
  last_message: MessageView.nullable(),
});
export type MyRoomView = z.infer<typeof MyRoomView>;

/**
 * An invitation waiting for me: into which private room (its id and name), from whom (their
 * current name and avatar), when, and the seq of the invitation's event (the list's cursor).
 */
export const InvitationView = z.object({
  room_id: RoomId,
  room_name: z.string(),
  inviter: z.object({ user_id: UserId, username: z.string(), avatar: z.string().min(1) }),
  invited_at: z.string(),
  seq: Seq,
});
export type InvitationView = z.infer<typeof InvitationView>;

/** An invitation as events say it, shown with the inviter's profile (the generated default avatar when there is none). */
export const invitationView = (
  i: { room_id: string; room_name: string | null; invited_by: string; invited_at: string; seq: number },
  inviter: { username: string | null; avatar: string | null },
): InvitationView => ({
  room_id: i.room_id,
  room_name: i.room_name ?? i.room_id,
  inviter: { user_id: i.invited_by, username: inviter.username ?? i.invited_by, avatar: inviter.avatar || defaultAvatarPath(i.invited_by) },
  invited_at: i.invited_at,
  seq: i.seq,
});

export const MemberView = z.object({
  user_id: UserId,
  username: z.string(),
  avatar: z.string().min(1),
  joined_at: z.string(),
});
export type MemberView = z.infer<typeof MemberView>;

/** A message as stored (system lines hold what happened, `joined` or `left`), before it is shown. */
export interface MessageFacts {
  id: string;
  room_id: string;
  user_id: string;
  type: 'text' | 'system';
  content: string;
  client_msg_id: string | null;
  created_at: string;
  edited_at: string | null;
  deleted: boolean;
  seq: number;
  reactions?: readonly { emoji: string; user_ids: readonly string[] }[];
  /** The seq of its last change, if it has changed since its post (see `MessageView.changed_seq`). */
  changed_seq?: number | null;
}

const SYSTEM_TEXT: Record<string, (name: string) => string> = {
  joined: (name) => `${name} joined the room`,
  left: (name) => `${name} left the room`,
};

/**
 * The seed's message shape, as history and live frames both show it: name and avatar are the
 * author's current ones, and the avatar is never empty (an unknown author gets the generated default).
 */
export function messageView(m: MessageFacts, author: { username: string | null; avatar: string | null }): MessageView {
  const username = author.username ?? m.user_id;
  const system = SYSTEM_TEXT[m.content];
  return {
    id: m.id,
    room_id: m.room_id,
    user_id: m.user_id,
    username,
    content: m.type === 'system' && system ? system(username) : m.content,
    avatar: author.avatar || defaultAvatarPath(m.user_id),
    timestamp: m.created_at,
    type: m.type,
    seq: m.seq,
    client_msg_id: m.client_msg_id,
    edited_at: m.edited_at,
    deleted: m.deleted,
    reactions: (m.reactions ?? []).map((r) => ({ emoji: r.emoji, count: r.user_ids.length, user_ids: [...r.user_ids] })),
    changed_seq: m.changed_seq ?? m.seq,
  };
}

/** A member as lists show them, never without a name or an avatar. */
export const memberView = (userId: string, joinedAt: string, author: { username: string | null; avatar: string | null }): MemberView => ({
  user_id: userId,
  username: author.username ?? userId,
  avatar: author.avatar || defaultAvatarPath(userId),
  joined_at: joinedAt,
});
