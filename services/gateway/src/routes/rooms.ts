import {
  AppError,
  CreateRoomBody,
  EditMessageBody,
  JoinBody,
  LeaveBody,
  MessageContentInput,
  MessageId,
  PostMessageBody,
  RoomIdParam,
  RoomNameInput,
  Username,
  isAppError,
  parseOrThrow,
  type AvatarInput,
  type RpcRequest,
} from '@chat/contracts';
import { UPLOAD_CALL_TIMEOUT_MS } from '../avatar-uploads.ts';
import { type AvatarHint, avatarFromUrl, type GatewayContext } from '../context.ts';
import type { Handler, Request } from '../http.ts';

const roomIdOf = (req: Request) => parseOrThrow(RoomIdParam, req.params[0], 'room id');

/**
 * Open mode, the seed's behaviour: an unknown user named by the client is registered, and an
 * avatar sent along only fills an empty one. Token mode: only the avatar is considered, also
 * only to fill an empty one. A `data:` avatar is an upload, sent only when it can fill.
 */
export async function admitUser(
  ctx: GatewayContext,
  userId: string,
  hints: { username?: string | undefined; avatar_url?: string | null | undefined },
  correlationId: string,
): Promise<void> {
  const hint = hints.avatar_url === undefined ? undefined : safeAvatar(ctx, hints.avatar_url);
  if (ctx.mode === 'token' && !hint) return;
  const parsedName = ctx.mode === 'open' && hints.username !== undefined ? Username.safeParse(hints.username) : undefined;
  const username = parsedName?.success ? parsedName.data : undefined;
  const ensure = (avatar: AvatarInput | undefined) => ctx.call('ensureUser', { user_id: userId, username, avatar }, correlationId, UPLOAD_CALL_TIMEOUT_MS);
  if (hint?.kind !== 'bytes') {
    await ensure(hint);
    return;
  }
  // The frontend sends its picture on every join and connect: don't move the bytes unless they can fill.
  const current = await ctx.call('getUser', { user_id: userId }, correlationId).catch((err: unknown) => {
    if (isAppError(err) && err.code === 'not_found') return null;
    throw err;
  });
  if (current && current.avatar_kind !== 'default') return;
  try {
    await ctx.withAvatar(hint, ensure);
  } catch (err) {
    if (!isAppError(err) || !['bad_request', 'payload_too_large', 'unsupported_media_type'].includes(err.code)) throw err;
    ctx.log.info({ userId, reason: err.message }, 'ignoring an avatar hint that is not a usable image');
    if (ctx.mode === 'open' && !current) await ensure(undefined);
  }
}

/** On join and connect a bad avatar hint is a client's fallback, not a reason to refuse the user. */
function safeAvatar(ctx: GatewayContext, url: string | null): AvatarHint | undefined {
  try {
    return avatarFromUrl(url);
  } catch (err) {
    ctx.log.info({ reason: (err as Error).message }, 'ignoring an unusable avatar hint');
    return undefined;
  }
}

export function roomRoutes(ctx: GatewayContext): Record<string, Handler> {
  /** The message a route names, as the read side knows it (its seq locates the original post). */
  const ownMessage = async (req: Request) => {
    const roomId = roomIdOf(req);
    const messageId = parseOrThrow(MessageId, req.params[1], 'message id');
    const { message } = await ctx.call('messageById', { room_id: roomId, message_id: messageId, min_position: ctx.live.head(roomId) }, req.correlationId);
    if (message?.type !== 'text') throw new AppError('not_found', `message ${messageId} does not exist in room ${roomId}`);
    return { roomId, message };
  };

  /** An edit or deletion, answered with the message as it now is (straight from the room service). */
  const changeMessage = async <N extends 'editMessage' | 'deleteMessage'>(req: Request, name: N, request: RpcRequest<N>) => {
    const { changed, change_seq, message } = await ctx.call(name, request, req.correlationId);
    if (changed) ctx.live.noteWrite(request.room_id, change_seq);
    return { status: 200, body: await ctx.live.messageView(message) };
  };

  /** Open mode, the seed's behaviour: the user is registered and joined as they act. */
  const admitAndJoin = (userId: string, roomId: string, hints: Parameters<typeof admitUser>[2], correlationId: string) =>
    Promise.all([admitUser(ctx, userId, hints, correlationId), ctx.call('joinRoom', { room_id: roomId, user_id: userId }, correlationId)]);

  return {
    list: async (req) => {
      ctx.requireSession(req);
      return { status: 200, body: await ctx.call('listRooms', { limit: 100, min_position: ctx.live.position() }, req.correlationId) };
    },

    create: async (req) => {
      const body = parseOrThrow(CreateRoomBody, await req.json(), 'body');
      const userId = ctx.actorOf(req, body.user_id);
      const name = parseOrThrow(RoomNameInput, body.name, 'name');
      const { room, seq } = await ctx.call('createRoom', { room_id: body.id, name, user_id: userId }, req.correlationId);
      ctx.live.noteWrite(room.id, seq);
      return { status: 201, body: { ...room, member_count: 0, last_seq: seq } };
    },

    get: async (req) => {
      ctx.requireSession(req);
      const roomId = roomIdOf(req);
      return { status: 200, body: await ctx.call('getRoom', { room_id: roomId, min_position: ctx.live.head(roomId) }, req.correlationId) };
    },

    members: async (req) => {
      ctx.requireSession(req);
      const roomId = roomIdOf(req);
      return { status: 200, body: await ctx.call('members', { room_id: roomId, min_position: ctx.live.head(roomId) }, req.correlationId) };
    },

    /** Edit one's own message; every socket in the room gets `message_updated`. */
    editMessage: async (req) => {
      const { roomId, message } = await ownMessage(req);
      const body = parseOrThrow(EditMessageBody, await req.json(), 'body');
      const content = parseOrThrow(MessageContentInput, body.content, 'content');
      const userId = ctx.actorOf(req, body.user_id);
      return changeMessage(req, 'editMessage', { room_id: roomId, message_id: message.id, seq: message.seq, user_id: userId, content });
    },

    deleteMessage: async (req) => {
      const { roomId, message } = await ownMessage(req);
      const body = parseOrThrow(LeaveBody, await req.json().catch(() => ({})), 'body');
      const userId = ctx.actorOf(req, body.user_id);
      return changeMessage(req, 'deleteMessage', { room_id: roomId, message_id: message.id, seq: message.seq, user_id: userId });
    },

    /** The seed's join: registers the user in the room so the socket that follows is admitted. */
    join: async (req) => {
      const roomId = roomIdOf(req);
      const body = parseOrThrow(JoinBody, await req.json(), 'body');
      const userId = ctx.actorOf(req, body.user_id);
      const [, joined] = await admitAndJoin(userId, roomId, body, req.correlationId);
      ctx.live.noteWrite(roomId, joined.seq);
      return { status: 200, body: { status: 'success', room_id: roomId, user_id: userId, joined: joined.joined, seq: joined.seq } };
    },

    leave: async (req) => {
      const roomId = roomIdOf(req);
      const body = parseOrThrow(LeaveBody, await req.json().catch(() => ({})), 'body');
      const userId = ctx.actorOf(req, body.user_id);
      const left = await ctx.call('leaveRoom', { room_id: roomId, user_id: userId }, req.correlationId);
      ctx.live.noteWrite(roomId, left.seq);
      return { status: 200, body: { status: 'success', room_id: roomId, user_id: userId, left: left.left, seq: left.seq } };
    },

    /**
     * A post, answered with the whole message at once (the room service's answer and the author's
     * profile from memory), whatever the read models are doing. A repeated `client_msg_id` answers
     * the original with 200.
     */
    post: async (req) => {
      const roomId = roomIdOf(req);
      const body = parseOrThrow(PostMessageBody, await req.json(), 'body');
      const content = parseOrThrow(MessageContentInput, body.content, 'content');
      const userId = ctx.actorOf(req, body.user_id);
      ctx.checkPost(userId);
      if (ctx.mode === 'open') await admitAndJoin(userId, roomId, body, req.correlationId);
      const posted = await ctx.call('postMessage', { room_id: roomId, user_id: userId, content, client_msg_id: body.client_msg_id }, req.correlationId);
      ctx.live.noteWrite(roomId, posted.seq);
      return { status: posted.duplicate ? 200 : 201, body: await ctx.live.messageView(posted) };
    },
  };
}
