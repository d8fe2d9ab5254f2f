import { AppError, InvitationsQuery, InvitationView, MyRoomView, ReadMarkerBody, RoomId, RoomsQuery, Seq, UserId, UserView } from '@chat/contracts';
import { z } from 'zod';
import type { GatewayContext } from '../context.ts';
import { defineRoute, type RouteSpec } from '../edge/spec.ts';
import { pageHeaders, pageOf, roomsPage } from './paging.ts';
import { RoomPath } from './rooms.ts';

/** Open mode names the user in the query (its reads carry no session); token mode ignores it for the session's. */
const Who = z.object({ user_id: UserId.optional() });
const MyRoomsQuery = RoomsQuery.extend(Who.shape);
const MyInvitationsQuery = InvitationsQuery.extend(Who.shape);

const me = (actor: string | null, query: { user_id?: string | undefined }): string => {
  const userId = actor ?? query.user_id;
  if (!userId) throw new AppError('validation_failed', 'user_id is required', { user_id: 'name the user (open mode)' });
  return userId;
};

/** The signed-in user: who they are, their rooms as a sidebar shows them, and how far they have read. */
export function meRoutes(ctx: GatewayContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/me',
      summary: 'The signed-in user',
      tags: ['users'],
      auth: 'session',
      query: Who,
      responses: { 200: { description: 'the user', schema: UserView } },
      handler: async ({ query, actor, req }) => ({ status: 200, body: await ctx.call('getUser', { user_id: me(actor, query) }, req.correlationId) }),
    }),
    defineRoute({
      method: 'get',
      path: '/me/rooms',
      summary:
        'The rooms I am a member of, newest activity first, with my unread count, my read marker and the last message; X-Next-Before and Link name the next page',
      tags: ['rooms'],
      auth: 'session',
      query: MyRoomsQuery,
      responses: { 200: { description: 'my rooms', schema: z.array(MyRoomView), headers: pageHeaders('before') } },
      handler: async ({ query, actor, req }) => {
        const rooms = await ctx.call(
          'myRooms',
          { user_id: me(actor, query), limit: query.limit + 1, before: query.before, min_position: ctx.live.position() },
          req.correlationId,
        );
        return { status: 200, ...roomsPage(rooms, query.limit, '/me/rooms') };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/me/invitations',
      summary:
        'The invitations waiting for me (into private rooms; not yet joined or declined), newest first, each with the room’s name and who invited me; X-Next-Before and Link name the next page',
      tags: ['rooms'],
      auth: 'session',
      query: MyInvitationsQuery,
      responses: { 200: { description: 'my invitations', schema: z.array(InvitationView), headers: pageHeaders('before') } },
      handler: async ({ query, actor, req }) => {
        const invitations = await ctx.call(
          'myInvitations',
          { user_id: me(actor, query), limit: query.limit + 1, before: query.before, min_position: ctx.live.position() },
          req.correlationId,
        );
        const { items, headers } = pageOf(invitations, {
          limit: query.limit,
          direction: 'before',
          extra: 'last',
          path: '/me/invitations',
          cursorOf: (i) => i.seq,
        });
        return { status: 200, body: items, headers };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/rooms/:id/read',
      summary: 'How far I have read a room (the seq of the last event I saw there); every device of mine gets `read_marker`',
      tags: ['rooms'],
      auth: 'actor',
      params: RoomPath,
      body: ReadMarkerBody,
      responses: {
        200: { description: 'the marker as stored: never past its own event', schema: z.object({ room_id: RoomId, seq: Seq }) },
      },
      handler: async ({ params, body, actor, req }) => {
        const marked = await ctx.call('markRead', { room_id: params.id, user_id: actor!, seq: body.seq }, req.correlationId);
        ctx.live.noteOwnWrite(marked.event_seq);
        return { status: 200, body: { room_id: params.id, seq: marked.seq } };
      },
    }),
  ] as RouteSpec[];
}
