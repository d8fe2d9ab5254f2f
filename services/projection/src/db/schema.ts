import type { Generated, Selectable } from 'kysely';
import type { Reaction } from '@chat/contracts';

export const SCHEMA = 'projection';

export interface CheckpointTable {
  name: string;
  seq: number;
  /** The stream the position belongs to: its name and creation time (null until first recorded). */
  stream_name: string | null;
  stream_created: string | null;
  /** Raised by each copy that takes over writing; a batch from an older holder is refused. */
  epoch: Generated<number>;
}

/** An event the projection could not apply: kept with its error, and skipped. */
export interface DeadLetterTable {
  name: string;
  seq: number;
  subject: string;
  type: string | null;
  /** The event's bytes as they are in the log. */
  event: Buffer;
  error: string;
  failed_at: Generated<Date>;
}

export interface UserTable {
  id: string;
  username: string;
  avatar_url: string;
  avatar_kind: 'custom' | 'external' | 'default';
  seq: number;
}

export interface RoomTable {
  id: string;
  name: string;
  created_by: string | null;
  created_at: Date;
  member_count: Generated<number>;
  last_seq: number;
  visibility: Generated<'public' | 'private'>;
  /** The room's newest post (its preview in "my rooms"). */
  last_message_seq: number | null;
}

/** How far a user has read a room (the highest marker; never past the marker's own event). */
export interface ReadMarkerTable {
  user_id: string;
  room_id: string;
  seq: number;
}

export interface MemberTable {
  room_id: string;
  user_id: string;
  joined_at: Date;
  /** The seq of the join: what came before it is not unread. */
  joined_seq: number | null;
}

/** An invitation waiting for its invitee (`user_id`): gone once they join or decline. */
export interface InvitationTable {
  room_id: string;
  user_id: string;
  invited_by: string;
  invited_at: Date;
  /** The seq of the invitation's event. */
  seq: number;
}

export interface MessageTable {
  seq: number;
  id: string;
  room_id: string;
  user_id: string;
  type: 'text' | 'system';
  /** For system messages, what happened (`joined` / `left`); the sentence is built when read. */
  content: string;
  client_msg_id: string | null;
  created_at: Date;
  edited_at: Date | null;
  deleted: Generated<boolean>;
  /** The seq of the message's last change (edit, deletion, reaction), so a resume after a cursor finds it. */
  changed_seq: number | null;
  /** Emojis on it and who reacted, as the last change left them. */
  reactions: Generated<Reaction[]>;
}

export interface Database {
  'projection.checkpoint': CheckpointTable;
  'projection.users': UserTable;
  'projection.rooms': RoomTable;
  'projection.members': MemberTable;
  'projection.messages': MessageTable;
  'projection.dead_letters': DeadLetterTable;
  'projection.read_markers': ReadMarkerTable;
  'projection.invitations': InvitationTable;
}

export type MessageRow = Selectable<MessageTable>;
export type RoomRow = Selectable<RoomTable>;
export type UserRow = Selectable<UserTable>;
