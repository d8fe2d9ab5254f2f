import { z } from 'zod';
import { ErrorBody } from './errors.ts';
import { MessageContent, RoomName } from './events.ts';
import { ClientMsgId, MessageId, RoomId, Seq, UserId } from './ids.ts';
import { AvatarInput, AvatarKey, AvatarSize, Username } from './profile.ts';
import { MemberView, MessageView, RoomView, UserView } from './views.ts';

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

export const Rpc = {
  createRoom: endpoint(
    'createRoom',
    z.object({ room_id: RoomId.optional(), name: RoomName, user_id: UserId }),
    z.object({ room: z.object({ id: RoomId, name: z.string(), created_by: UserId.nullable(), created_at: z.string() }), seq: Seq }),
  ),
  joinRoom: endpoint(
    'joinRoom',
    z.object({ room_id: RoomId, user_id: UserId }),
    z.object({ room_id: RoomId, user_id: UserId, joined: z.boolean(), room_created: z.boolean(), seq: Seq }),
  ),
  leaveRoom: endpoint('leaveRoom', z.object({ room_id: RoomId, user_id: UserId }), z.object({ room_id: RoomId, user_id: UserId, left: z.boolean(), seq: Seq })),
  postMessage: endpoint(
    'postMessage',
    z.object({ room_id: RoomId, user_id: UserId, content: MessageContent, client_msg_id: ClientMsgId.optional() }),
    z.object({ message_id: z.string(), seq: Seq, duplicate: z.boolean(), occurred_at: z.string() }),
  ),
  /** Changes a message; `seq` locates the original post, which the room service checks. */
  editMessage: endpoint(
    'editMessage',
    z.object({ room_id: RoomId, message_id: MessageId, seq: Seq, user_id: UserId, content: MessageContent }),
    z.object({ seq: Seq, changed: z.boolean() }),
  ),
  deleteMessage: endpoint(
    'deleteMessage',
    z.object({ room_id: RoomId, message_id: MessageId, seq: Seq, user_id: UserId }),
    z.object({ seq: Seq, changed: z.boolean() }),
  ),
  membership: endpoint('membership', z.object({ room_id: RoomId, user_id: UserId }), z.object({ room_exists: z.boolean(), member: z.boolean() })),
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
  listRooms: endpoint('listRooms', z.object({ limit: z.number().int().min(1).max(500).default(100) }), z.array(RoomView)),
  getRoom: endpoint('getRoom', z.object({ room_id: RoomId }), RoomView),
  members: endpoint('members', z.object({ room_id: RoomId }), z.array(MemberView)),
  messages: endpoint(
    'messages',
    z.object({
      room_id: RoomId,
      before: Seq.optional(),
      after: Seq.optional(),
      limit: z.number().int().min(1).max(HISTORY_LIMIT_MAX).default(50),
    }),
    z.array(MessageView),
  ),
  /** A message by its seq, waiting up to `wait_ms` for the projection to reach it. */
  messageAt: endpoint(
    'messageAt',
    z.object({ room_id: RoomId, seq: Seq, wait_ms: z.number().int().min(0).max(5000).default(0) }),
    z.object({ message: MessageView.nullable() }),
  ),
  messageById: endpoint('messageById', z.object({ room_id: RoomId, message_id: MessageId }), z.object({ message: MessageView.nullable() })),
  /** Waits up to `wait_ms` until the projection has applied `seq`: read-your-writes for clients. */
  awaitPosition: endpoint(
    'awaitPosition',
    z.object({ seq: Seq, wait_ms: z.number().int().min(0).max(5000).default(0) }),
    z.object({ reached: z.boolean(), position: Seq }),
  ),
  ping: endpoint('ping', z.object({}), z.object({ pong: z.literal(true) })),
} as const;

export type RpcName = keyof typeof Rpc;
export type RpcRequest<N extends RpcName> = z.input<(typeof Rpc)[N]['request']>;
export type RpcReply<N extends RpcName> = z.output<(typeof Rpc)[N]['reply']>;
