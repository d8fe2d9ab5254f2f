// The API's shapes as plain types, so the published package needs neither zod nor the contracts
// package at run time or in its `.d.ts`. `wire.test.ts` checks at compile time that each one is
// exactly the contracts' type: a change there that is not made here fails `pnpm typecheck`.

export type AvatarKind = 'custom' | 'external' | 'default';

export interface UserView {
  id: string;
  username: string;
  avatar: string;
  avatar_kind: AvatarKind;
}

/** The seed frontend's message shape, plus `seq` (its place in the log) and the edit fields. */
export interface MessageView {
  id: string;
  room_id: string;
  user_id: string;
  username: string;
  content: string;
  avatar: string;
  timestamp: string;
  type: 'text' | 'system';
  seq: number;
  client_msg_id: string | null;
  edited_at: string | null;
  deleted: boolean;
  /** Emojis on the message, first-used first: how many, and who (whether I reacted: my id is there). */
  reactions: { emoji: string; count: number; user_ids: string[] }[];
  /** The seq of the newest event this copy shows (its post's, or its last change's): the higher is the newer copy. */
  changed_seq: number;
}

export type Visibility = 'public' | 'private';

export interface RoomView {
  id: string;
  name: string;
  created_by: string | null;
  created_at: string;
  member_count: number;
  last_seq: number;
  visibility: Visibility;
}

/** One of my rooms, as a sidebar shows it: my unread count, how far I have read, its last message. */
export interface MyRoomView extends RoomView {
  unread: number;
  read_seq: number;
  last_message: MessageView | null;
}

/** An invitation waiting for me: into which private room, from whom, when; `seq` is the list's cursor. */
export interface InvitationView {
  room_id: string;
  room_name: string;
  inviter: { user_id: string; username: string; avatar: string };
  invited_at: string;
  seq: number;
}

export interface MemberView {
  user_id: string;
  username: string;
  avatar: string;
  joined_at: string;
}

export interface RegisterRequest {
  username: string;
  avatar_url?: string | null | undefined;
  /** Open mode only: the id the frontend already uses. */
  user_id?: string | undefined;
}

export interface RegisterResponse {
  user: UserView;
  /** Absent in AUTH_MODE=open. */
  token?: string;
}

export interface PatchUserRequest {
  username?: string | undefined;
  avatar_url?: string | null | undefined;
}

export interface CreateRoomRequest {
  id?: string | undefined;
  name: string;
  user_id?: string | undefined;
  /** `private`: members only, joined by invitation (default `public`). */
  visibility?: Visibility | undefined;
}

export interface HistoryParams {
  before?: number;
  after?: number;
  limit?: number;
  /** Long-poll, with `after`: wait up to this many seconds (at most 30) for a newer message. */
  wait?: number;
}

export interface ChangesParams {
  /** The cursor: changes after it. */
  since: number;
  limit?: number;
  /** Long-poll: wait up to this many seconds (at most 30) for the next change. */
  wait?: number;
}

/** A room's change after a cursor (`GET /rooms/{id}/changes`): what a socket's resume replays. */
export type ChangeFrame = Extract<ServerFrame, { type: 'message' | 'message_updated' | 'profile_updated' }>;

export interface MembershipResponse {
  status: 'success';
  room_id: string;
  user_id: string;
  /** `joined` on join (false: already a member), `left` on leave (false: was not one). */
  joined?: boolean;
  left?: boolean;
  seq: number;
}

/** A post whose message the read side did not show within 2 s: it is stored, its view follows. */
export interface PostAccepted {
  status: 'accepted';
  id: string;
  room_id: string;
  seq: number;
  timestamp: string;
}

export interface PresenceResponse {
  room_id: string;
  online: string[];
}

/** What the multiplexed socket (`/ws`) sends: every frame about a room names it. */
export type ServerFrame =
  | { type: 'message'; room_id: string; message: MessageView; seq: number }
  | { type: 'message_updated'; room_id: string; message: MessageView; seq: number }
  | { type: 'member_joined'; room_id: string; member: MemberView; seq: number }
  | { type: 'member_left'; room_id: string; user_id: string; seq: number }
  | { type: 'profile_updated'; room_id: string; user: UserView; seq: number }
  | { type: 'room_activity'; room_id: string; message: MessageView; seq: number }
  | { type: 'read_marker'; room_id: string; seq: number }
  | { type: 'invited'; room_id: string; invitation: InvitationView; seq: number }
  | { type: 'invitation_declined'; room_id: string; seq: number }
  | { type: 'presence'; room_id: string; online?: string[] | undefined; joined?: string[] | undefined; left?: string[] | undefined; seq: number }
  | { type: 'typing'; room_id: string; user_id: string }
  | { type: 'ready'; room_id: string; user_id: string; cursor: number }
  | { type: 'welcome'; user_id: string }
  | { type: 'subscribed'; room_id: string; cursor: number }
  | { type: 'unsubscribed'; room_id: string; reason?: string | undefined }
  | { type: 'error'; room_id?: string | undefined; code: string; message: string }
  | { type: 'pong' };

/** What a client sends on the multiplexed socket. */
export type MuxClientFrame =
  | { type: 'subscribe'; room_id: string; since?: number | undefined }
  | { type: 'unsubscribe'; room_id: string }
  | { type: 'message'; room_id: string; content: string; client_msg_id?: string | undefined }
  | { type: 'typing'; room_id: string }
  | { type: 'ping' };

/** Close codes the client acts on (the contracts' `CloseCode`). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  tryAgainLater: 1013,
  notMember: 4403,
} as const;

/** The generated default avatar of a user the client knows nothing else about. */
export const defaultAvatar = (userId: string): string => `/avatars/default/${userId}.svg`;
