import { z } from 'zod';
import { ErrorBody } from './errors.ts';
import { EmojiInput, MessageContentInput, Reaction, RoomNameInput, Visibility } from './events.ts';
import { ReplayFrame } from './frames.ts';
import { ClientMsgId, MessageId, RoomId, Seq, UserId } from './ids.ts';
import { AvatarInput, AvatarKey, AvatarSize, Username } from './profile.ts';
import { InvitationView, MemberView, MessageView, MyRoomView, RoomView, UserView } from './views.ts';

/** Every NATS reply: a result or an error, never a bare value. */
export const Reply = z.discriminatedUnion('ok', [z.object({ ok: z.literal(true), data: z.unknown() }), z.object({ ok: z.literal(false), error: ErrorBody })]);

/** A request/reply endpoint: its request and reply schemas, shared by caller and server. */
export interface Endpoint<Req extends z.ZodType, Res extends z.ZodType> {
  readonly name: string;
  readonly request: Req;
  readonly reply: Res;
}
const endpoint = <Req extends z.ZodType, Res extends z.ZodType>(name: string, request: Req, reply: Res): Endpoint<Req, Res> => ({
  name,
  request,
  reply,
});

export const HISTORY_LIMIT_MAX = 100;
/** The most rooms one page of `GET /rooms` holds (100 by default). */
export const ROOMS_LIMIT_MAX = 500;
/** The most members one page of `GET /rooms/{id}/members` holds (and its default). */
export const MEMBERS_LIMIT_MAX = 500;

/**
 * A message as the room service knows it right after a post, an edit or a deletion: enough for
 * the gateway to answer with the whole view at once (the author's name and avatar come from its
 * profile directory), whatever the read models are doing.
 */
export const MessageState = z.object({
  message_id: MessageId,
  room_id: RoomId,
  /** The author. */
  user_id: UserId,
  content: z.string(),
  client_msg_id: ClientMsgId.nullable(),
  posted_at: z.string(),
  edited_at: z.string().nullable(),
  deleted: z.boolean(),
  /** The post's seq. */
  seq: Seq,
  reactions: z.array(Reaction).default([]),
});
export type MessageState = z.infer<typeof MessageState>;

/**
 * Read your writes: a query waits (boundedly) until the read models hold every event up to this
 * seq, which the gateway knows from its own writes and its live feed. Past the wait it is a 503.
 */
const MinPosition = { min_position: Seq.optional() };

/** A page of rooms, newest activity first; one more than a page may be asked for, to learn whether another page exists. */
const RoomsPage = {
  limit: z
    .number()
    .int()
    .min(1)
    .max(ROOMS_LIMIT_MAX + 1)
    .default(100),
  before: Seq.optional(),
  ...MinPosition,
};

export const Rpc = {
  createRoom: endpoint(
    'createRoom',
    z.object({ room_id: RoomId.optional(), name: RoomNameInput, user_id: UserId, visibility: Visibility.default('public') }),
    z.object({
      room: z.object({ id: RoomId, name: z.string(), created_by: UserId.nullable(), created_at: z.string(), visibility: Visibility }),
      /** Members right after creation: the creator of a private room is its first. */
      member_count: z.number().int().nonnegative(),
      seq: Seq,
    }),
  ),
  /** A member says how far they have read a room; `event_seq` is the marker's own event. */
  markRead: endpoint('markRead', z.object({ room_id: RoomId, user_id: UserId, seq: Seq }), z.object({ room_id: RoomId, seq: Seq, event_seq: Seq })),
  /** A member invites a user into a private room (`invited: false`: already invited or a member). */
  inviteUser: endpoint(
    'inviteUser',
    z.object({ room_id: RoomId, user_id: UserId, invited_by: UserId }),
    z.object({ room_id: RoomId, user_id: UserId, invited: z.boolean(), seq: Seq }),
  ),
  /** The invitee turns an invitation down (`declined: false`: there was none to decline). */
  declineInvitation: endpoint(
    'declineInvitation',
    z.object({ room_id: RoomId, user_id: UserId }),
    z.object({ room_id: RoomId, user_id: UserId, declined: z.boolean(), seq: Seq }),
  ),
  joinRoom: endpoint(
    'joinRoom',
    z.object({ room_id: RoomId, user_id: UserId }),
    z.object({ room_id: RoomId, user_id: UserId, joined: z.boolean(), room_created: z.boolean(), seq: Seq }),
  ),
  leaveRoom: endpoint('leaveRoom', z.object({ room_id: RoomId, user_id: UserId }), z.object({ room_id: RoomId, user_id: UserId, left: z.boolean(), seq: Seq })),
  /** A post; a repeated `client_msg_id` answers the original message (`duplicate`). */
  postMessage: endpoint(
    'postMessage',
    z.object({ room_id: RoomId, user_id: UserId, content: MessageContentInput, client_msg_id: ClientMsgId.optional() }),
    MessageState.extend({ duplicate: z.boolean() }),
  ),
  /** Changes a message; `seq` locates the original post, which the room service checks. */
  editMessage: endpoint(
    'editMessage',
    z.object({ room_id: RoomId, message_id: MessageId, seq: Seq, user_id: UserId, content: MessageContentInput }),
    z.object({ changed: z.boolean(), change_seq: Seq, message: MessageState }),
  ),
  /** A member adds (`add`) or takes back an emoji on a message; `changed: false` when it was already so. */
  react: endpoint(
    'react',
    z.object({ room_id: RoomId, message_id: MessageId, seq: Seq, user_id: UserId, emoji: EmojiInput, add: z.boolean() }),
    z.object({ changed: z.boolean(), change_seq: Seq, message: MessageState }),
  ),
  deleteMessage: endpoint(
    'deleteMessage',
    z.object({ room_id: RoomId, message_id: MessageId, seq: Seq, user_id: UserId }),
    z.object({ changed: z.boolean(), change_seq: Seq, message: MessageState }),
  ),
  membership: endpoint(
    'membership',
    z.object({ room_id: RoomId, user_id: UserId }),
    z.object({
      room_exists: z.boolean(),
      member: z.boolean(),
      visibility: Visibility.nullable(),
      /** The seq of the room's last event the answer rests on (a "member" may be up to the staleness bound old). */
      seq: Seq.optional(),
    }),
  ),
  /** A room's members as the log says now, and the seq of the room's last membership event. */
  roomMembers: endpoint('roomMembers', z.object({ room_id: RoomId }), z.object({ room_exists: z.boolean(), members: z.array(UserId), seq: Seq })),
  registerUser: endpoint(
    'registerUser',
    z.object({ user_id: UserId.optional(), username: Username, avatar: AvatarInput.nullable().optional() }),
    z.object({ user: UserView, seq: Seq }),
  ),
  ensureUser: endpoint(
    'ensureUser',
    z.object({ user_id: UserId, username: Username.optional(), avatar: AvatarInput.optional() }),
    z.object({ user: UserView, created: z.boolean() }),
  ),
  updateUser: endpoint(
    'updateUser',
    z.object({ user_id: UserId, username: Username.optional(), avatar: AvatarInput.nullable().optional() }),
    z.object({ user: UserView, seq: Seq }),
  ),
  getUser: endpoint('getUser', z.object({ user_id: UserId }), UserView),
  defaultAvatar: endpoint('defaultAvatar', z.object({ user_id: UserId }), z.object({ svg: z.string() })),
  /** An uploaded avatar's normalised WebP bytes (a few KiB to some tens of KiB: fits a message). */
  getAvatar: endpoint('getAvatar', z.object({ key: AvatarKey, size: AvatarSize }), z.object({ webp: z.base64() })),
  /**
   * Rooms, newest activity first; `before`: only those whose last event is older than that seq.
   * Public rooms, and the private rooms `viewer` is a member of.
   */
  listRooms: endpoint('listRooms', z.object({ ...RoomsPage, viewer: UserId.nullable().default(null) }), z.array(RoomView)),
  /** The rooms a user is a member of, newest activity first, with unread counts and last messages. */
  myRooms: endpoint('myRooms', z.object({ ...RoomsPage, user_id: UserId }), z.array(MyRoomView)),
  /** The invitations waiting for a user (not joined, not declined), newest first; `before`: older than that seq. */
  myInvitations: endpoint('myInvitations', z.object({ ...RoomsPage, user_id: UserId }), z.array(InvitationView)),
  /** Every room a user is a member of (ids only): what the gateway follows for their inbox. */
  roomIdsOf: endpoint('roomIdsOf', z.object({ user_id: UserId, ...MinPosition }), z.object({ room_ids: z.array(RoomId) })),
  getRoom: endpoint('getRoom', z.object({ room_id: RoomId, ...MinPosition }), RoomView),
  /** Members, oldest first; `after`: those who joined after that member. */
  members: endpoint(
    'members',
    z.object({
      room_id: RoomId,
      limit: z
        .number()
        .int()
        .min(1)
        .max(MEMBERS_LIMIT_MAX + 1)
        .default(MEMBERS_LIMIT_MAX),
      after: z.object({ joinedAt: z.iso.datetime(), userId: UserId }).optional(),
      ...MinPosition,
    }),
    z.array(MemberView),
  ),
  messages: endpoint(
    'messages',
    z.object({
      room_id: RoomId,
      before: Seq.optional(),
      after: Seq.optional(),
      /** One more than a page may be asked for: the gateway learns from it whether another page exists. */
      limit: z
        .number()
        .int()
        .min(1)
        .max(HISTORY_LIMIT_MAX + 1)
        .default(50),
      ...MinPosition,
    }),
    z.array(MessageView),
  ),
  /**
   * Every change to a room's timeline after `after`, in seq order: new messages (`message`),
   * edits or deletions of older ones (`message_updated`, with the change's own seq), and members'
   * profile changes (`profile_updated`, the last one of each member). What a resuming socket
   * needs, page by page.
   */
  changes: endpoint(
    'changes',
    z.object({
      room_id: RoomId,
      /** The resume cursor: messages posted after it come as `message`, changes to older ones as `message_updated`. */
      since: Seq,
      /** Where this page starts (the last frame seq of the previous page; `since` for the first). */
      after: Seq.optional(),
      limit: z.number().int().min(1).max(1000).default(100),
      ...MinPosition,
    }),
    z.array(ReplayFrame),
  ),
  /** A room's latest timeline entries (and members' profile changes), complete after `from`: what a gateway keeps in memory for resumes. */
  recent: endpoint(
    'recent',
    z.object({ room_id: RoomId, limit: z.number().int().min(1).max(1000).default(100), ...MinPosition }),
    z.object({ from: Seq, frames: z.array(ReplayFrame) }),
  ),
  messageById: endpoint('messageById', z.object({ room_id: RoomId, message_id: MessageId, ...MinPosition }), z.object({ message: MessageView.nullable() })),
  ping: endpoint('ping', z.object({}), z.object({ pong: z.literal(true) })),
} as const;

export type RpcName = keyof typeof Rpc;
export type RpcRequest<N extends RpcName> = z.input<(typeof Rpc)[N]['request']>;
export type RpcReply<N extends RpcName> = z.output<(typeof Rpc)[N]['reply']>;
