import {
  AppError,
  AVATAR_JSON_BODY_MAX_BYTES,
  CreateRoomBody,
  EditMessageBody,
  EMOJI_MAX_BYTES,
  EmojiInput,
  InviteBody,
  memberCursor,
  MembersQuery,
  ErrorBody,
  JoinBody,
  LeaveBody,
  MemberView,
  MessageId,
  MessageView,
  PostMessageBody,
  REACTIONS_MAX,
  ReactionBody,
  RoomId,
  RoomsQuery,
  type RpcRequest,
  RoomView,
  Seq,
  UserId,
} from '@chat/contracts';
import { z } from 'zod';
import type { GatewayContext } from '../context.ts';
import { defineRoute, type EdgeRequest, type RouteSpec } from '../edge/spec.ts';
import { admitReader } from '../edge/admission.ts';
import { pageHeaders, pageOf, roomsPage } from './paging.ts';

export const RoomPath = z.object({ id: RoomId });
const MessagePath = z.object({ id: RoomId, message: MessageId });
const Errors = { 400: { description: 'invalid input', schema: z.object({ error: ErrorBody }) } };
const Membership = z.object({
  status: z.literal('success'),
  room_id: RoomId,
  user_id: z.string(),
  joined: z.boolean().optional(),
  left: z.boolean().optional(),
  seq: Seq,
});

export function roomRoutes(ctx: GatewayContext): RouteSpec[] {
  /** The message a route names, as the read side knows it (its seq locates the original post). */
  const ownMessage = async (roomId: string, messageId: string, req: EdgeRequest) => {
    const { message } = await ctx.call('messageById', { room_id: roomId, message_id: messageId, min_position: await ctx.live.head(roomId) }, req.correlationId);
    if (message?.type !== 'text') throw new AppError('not_found', `message ${messageId} does not exist in room ${roomId}`);
    return message;
  };

  /** An edit or deletion, answered with the message as it now is (straight from the room service). */
  const changeMessage = async <N extends 'editMessage' | 'deleteMessage' | 'react'>(name: N, request: RpcRequest<N>, req: EdgeRequest) => {
    const { changed, change_seq, message } = await ctx.call(name, request, req.correlationId);
    if (changed) ctx.live.noteWrite(request.room_id, change_seq);
    return { status: 200, body: await ctx.live.messageView(message, change_seq) };
  };

  return [
    defineRoute({
      method: 'get',
      path: '/rooms',
      summary: 'Rooms, newest activity first (100 a page by default); X-Next-Before and Link name the next page when there is one',
      tags: ['rooms'],
      auth: 'session',
      query: RoomsQuery,
      responses: { 200: { description: 'rooms', schema: z.array(RoomView), headers: pageHeaders('before') } },
      handler: async ({ query, actor, req }) => {
        const rooms = await ctx.call(
          'listRooms',
          { limit: query.limit + 1, before: query.before, viewer: actor, min_position: ctx.live.position() },
          req.correlationId,
        );
        return { status: 200, ...roomsPage(rooms, query.limit, '/rooms') };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/rooms',
      summary: 'Create a room (409 if the id is taken)',
      tags: ['rooms'],
      auth: 'actor',
      rate: 'createRoom',
      body: CreateRoomBody,
      responses: { 201: { description: 'the room', schema: RoomView }, ...Errors },
      handler: async ({ body, actor, req }) => {
        const { room, member_count, seq } = await ctx.call(
          'createRoom',
          { room_id: body.id, name: body.name, user_id: actor!, visibility: body.visibility },
          req.correlationId,
        );
        ctx.live.noteWrite(room.id, seq);
        return { status: 201, body: { ...room, member_count, last_seq: seq } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/rooms/:id',
      summary: 'One room',
      tags: ['rooms'],
      auth: 'session',
      params: RoomPath,
      responses: { 200: { description: 'the room', schema: RoomView } },
      handler: async ({ params, actor, req }) => {
        const [room] = await Promise.all([
          ctx.live.head(params.id).then((head) => ctx.call('getRoom', { room_id: params.id, min_position: head }, req.correlationId)),
          admitReader(ctx, actor, params.id, req.correlationId),
        ]);
        return { status: 200, body: room };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/rooms/:id/members',
      summary: 'A room’s members, oldest first (500 a page by default); X-Next-After and Link name the next page when there is one',
      tags: ['rooms'],
      auth: 'session',
      params: RoomPath,
      query: MembersQuery,
      responses: { 200: { description: 'members, oldest first', schema: z.array(MemberView), headers: pageHeaders('after') } },
      handler: async ({ params, query, actor, req }) => {
        const [members] = await Promise.all([
          ctx.live
            .head(params.id)
            .then((head) => ctx.call('members', { room_id: params.id, limit: query.limit + 1, after: query.after, min_position: head }, req.correlationId)),
          admitReader(ctx, actor, params.id, req.correlationId),
        ]);
        const path = `/rooms/${params.id}/members`;
        const { items, headers } = pageOf(members, { limit: query.limit, direction: 'after', extra: 'last', path, cursorOf: memberCursor });
        return { status: 200, body: items, headers };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/rooms/:id/join',
      summary: 'Join a room (creating it if needed), so the socket that follows is admitted',
      tags: ['rooms'],
      auth: 'actor',
      rate: 'join',
      params: RoomPath,
      body: JoinBody,
      bodyLimit: AVATAR_JSON_BODY_MAX_BYTES,
      responses: { 200: { description: 'joined (`joined: false`: was a member already)', schema: Membership }, ...Errors },
      handler: async ({ params, body, actor, req }) => {
        const [, joined] = await Promise.all([
          ctx.admission.beforeJoin(actor!, body, req.correlationId),
          ctx.call('joinRoom', { room_id: params.id, user_id: actor! }, req.correlationId),
        ]);
        ctx.live.noteWrite(params.id, joined.seq);
        return { status: 200, body: { status: 'success', room_id: params.id, user_id: actor, joined: joined.joined, seq: joined.seq } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/rooms/:id/invite',
      summary: 'Invite a user into a private room (members only); the invitation lets them join once',
      tags: ['rooms'],
      auth: 'actor',
      rate: 'join',
      params: RoomPath,
      body: InviteBody,
      responses: {
        200: {
          description: 'invited (`invited: false`: already invited, or a member)',
          schema: z.object({ status: z.literal('success'), room_id: RoomId, invitee: z.string(), invited: z.boolean(), seq: Seq }),
        },
        ...Errors,
      },
      handler: async ({ params, body, actor, req }) => {
        // The invitee must exist (404 otherwise): an invitation for a mistyped id would wait for nobody.
        await ctx.call('getUser', { user_id: body.invitee }, req.correlationId);
        const invited = await ctx.call('inviteUser', { room_id: params.id, user_id: body.invitee, invited_by: actor! }, req.correlationId);
        ctx.live.noteWrite(params.id, invited.seq);
        return { status: 200, body: { status: 'success', room_id: params.id, invitee: body.invitee, invited: invited.invited, seq: invited.seq } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/rooms/:id/decline',
      summary: 'Decline my invitation into a private room: it leaves my invitations, and every device of mine gets `invitation_declined`',
      tags: ['rooms'],
      auth: 'actor',
      rate: 'join',
      params: RoomPath,
      body: LeaveBody,
      bodyKind: 'optional-json',
      responses: {
        200: {
          description: 'declined (`declined: false`: there was no invitation to decline)',
          schema: z.object({ status: z.literal('success'), room_id: RoomId, user_id: UserId, declined: z.boolean(), seq: Seq }),
        },
        ...Errors,
      },
      handler: async ({ params, actor, req }) => {
        const declined = await ctx.call('declineInvitation', { room_id: params.id, user_id: actor! }, req.correlationId);
        ctx.live.noteWrite(params.id, declined.seq);
        return { status: 200, body: { status: 'success', room_id: params.id, user_id: actor, declined: declined.declined, seq: declined.seq } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/rooms/:id/leave',
      summary: 'Leave a room; the user’s sockets in it close with 4403',
      tags: ['rooms'],
      auth: 'actor',
      params: RoomPath,
      body: LeaveBody,
      bodyKind: 'optional-json',
      responses: { 200: { description: 'left (`left: false`: was not a member)', schema: Membership } },
      handler: async ({ params, actor, req }) => {
        const left = await ctx.call('leaveRoom', { room_id: params.id, user_id: actor! }, req.correlationId);
        ctx.live.noteWrite(params.id, left.seq);
        return { status: 200, body: { status: 'success', room_id: params.id, user_id: actor, left: left.left, seq: left.seq } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/rooms/:id/messages',
      summary: 'Post a message; a repeated client_msg_id answers the original (200)',
      tags: ['messages'],
      auth: 'actor',
      rate: 'post',
      params: RoomPath,
      body: PostMessageBody,
      responses: {
        201: { description: 'the message, enriched', schema: MessageView },
        200: { description: 'the original message of a repeated client_msg_id', schema: MessageView },
        ...Errors,
      },
      // The answer is the whole message at once, whatever the read models are doing.
      handler: async ({ params, body, actor, req }) => {
        await ctx.admission.beforePost(actor!, params.id, body, req.correlationId);
        const posted = await ctx.call(
          'postMessage',
          { room_id: params.id, user_id: actor!, content: body.content, client_msg_id: body.client_msg_id },
          req.correlationId,
        );
        ctx.live.noteWrite(params.id, posted.seq);
        return { status: posted.duplicate ? 200 : 201, body: await ctx.live.messageView(posted) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/rooms/:id/messages/:message',
      summary: 'Edit one’s own message; sockets get message_updated',
      tags: ['messages'],
      auth: 'actor',
      params: MessagePath,
      body: EditMessageBody,
      responses: { 200: { description: 'the message as it now is', schema: MessageView }, ...Errors },
      handler: async ({ params, body, actor, req }) => {
        const message = await ownMessage(params.id, params.message, req);
        return changeMessage('editMessage', { room_id: params.id, message_id: message.id, seq: message.seq, user_id: actor!, content: body.content }, req);
      },
    }),
    defineRoute({
      method: 'del',
      path: '/rooms/:id/messages/:message',
      summary: 'Delete one’s own message; sockets get message_updated with `deleted: true`',
      tags: ['messages'],
      auth: 'actor',
      params: MessagePath,
      body: LeaveBody,
      bodyKind: 'optional-json',
      responses: { 200: { description: 'the message, deleted', schema: MessageView } },
      handler: async ({ params, actor, req }) => {
        const message = await ownMessage(params.id, params.message, req);
        return changeMessage('deleteMessage', { room_id: params.id, message_id: message.id, seq: message.seq, user_id: actor! }, req);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/rooms/:id/messages/:message/reactions',
      summary: `Put an emoji on a message (members; one emoji of at most ${EMOJI_MAX_BYTES} bytes, at most ${REACTIONS_MAX} different ones on a message); sockets get message_updated`,
      tags: ['messages'],
      auth: 'actor',
      params: MessagePath,
      body: ReactionBody,
      responses: { 200: { description: 'the message with its reactions', schema: MessageView }, ...Errors },
      handler: async ({ params, body, actor, req }) => {
        const message = await ownMessage(params.id, params.message, req);
        return changeMessage('react', { room_id: params.id, message_id: message.id, seq: message.seq, user_id: actor!, emoji: body.emoji, add: true }, req);
      },
    }),
    defineRoute({
      method: 'del',
      path: '/rooms/:id/messages/:message/reactions/:emoji',
      summary: 'Take one’s emoji back off a message (the emoji percent-encoded in the path); sockets get message_updated',
      tags: ['messages'],
      auth: 'actor',
      params: MessagePath.extend({ emoji: EmojiInput }),
      body: LeaveBody,
      bodyKind: 'optional-json',
      responses: { 200: { description: 'the message with its reactions', schema: MessageView }, ...Errors },
      handler: async ({ params, actor, req }) => {
        const message = await ownMessage(params.id, params.message, req);
        return changeMessage('react', { room_id: params.id, message_id: message.id, seq: message.seq, user_id: actor!, emoji: params.emoji, add: false }, req);
      },
    }),
  ] as RouteSpec[];
}
