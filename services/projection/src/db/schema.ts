import type { Generated, Selectable } from 'kysely';

export const SCHEMA = 'projection';

export interface CheckpointTable {
  name: string;
  seq: number;
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
}

export interface MemberTable {
  room_id: string;
  user_id: string;
  joined_at: Date;
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
}

export interface Database {
  'projection.checkpoint': CheckpointTable;
  'projection.users': UserTable;
  'projection.rooms': RoomTable;
  'projection.members': MemberTable;
  'projection.messages': MessageTable;
}

export type MessageRow = Selectable<MessageTable>;
export type RoomRow = Selectable<RoomTable>;
export type UserRow = Selectable<UserTable>;
