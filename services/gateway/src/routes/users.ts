import { AppError, ErrorBody, PatchUserBody, RegisterBody, UserId, UserView } from '@chat/contracts';
import { z } from 'zod';
import { avatarFromUrl } from '../avatar-hints.ts';
import { UPLOAD_CALL_TIMEOUT_MS } from '../avatar-uploads.ts';
import type { GatewayContext } from '../context.ts';
import { defineRoute, type RouteSpec } from '../edge/spec.ts';
import { AVATAR_JSON_BODY_MAX_BYTES } from '@chat/contracts';

export const UserPath = z.object({ id: UserId });
const Errors = { 400: { description: 'invalid input', schema: z.object({ error: ErrorBody }) } };

export function userRoutes(ctx: GatewayContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/users',
      summary: 'Register a user; in token mode the answer carries its session token',
      tags: ['users'],
      auth: 'public',
      rate: 'signup',
      body: RegisterBody,
      bodyLimit: AVATAR_JSON_BODY_MAX_BYTES,
      responses: { 201: { description: 'the user (and its token)', schema: z.object({ user: UserView, token: z.string().optional() }) }, ...Errors },
      handler: async ({ body, req }) => {
        if (body.user_id !== undefined && ctx.auth.mode === 'token')
          throw new AppError('validation_failed', 'user_id is chosen by the server in AUTH_MODE=token');
        const { user } = await ctx.withAvatar(
          avatarFromUrl(body.avatar_url),
          (avatar) =>
            ctx.call('registerUser', { user_id: body.user_id, username: body.username, avatar: avatar ?? null }, req.correlationId, UPLOAD_CALL_TIMEOUT_MS),
          req.signal,
        );
        const token = await ctx.auth.issue(user.id);
        return { status: 201, body: token ? { user, token } : { user } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/users/:id',
      summary: "A user's profile",
      tags: ['users'],
      auth: 'session',
      params: UserPath,
      responses: { 200: { description: 'the user', schema: UserView } },
      handler: async ({ params, req }) => ({ status: 200, body: await ctx.call('getUser', { user_id: params.id }, req.correlationId) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/users/:id',
      summary: 'Change one’s own name or avatar (`avatar_url: null` clears the avatar)',
      tags: ['users'],
      auth: 'self',
      params: UserPath,
      body: PatchUserBody,
      bodyLimit: AVATAR_JSON_BODY_MAX_BYTES,
      responses: { 200: { description: 'the user as it now is', schema: UserView }, ...Errors },
      handler: async ({ params, body, req }) => {
        const hint = body.avatar_url === null ? undefined : avatarFromUrl(body.avatar_url);
        const { user, seq } = await ctx.withAvatar(
          hint,
          (avatar) =>
            ctx.call(
              'updateUser',
              { user_id: params.id, username: body.username, avatar: body.avatar_url === null ? null : avatar },
              req.correlationId,
              UPLOAD_CALL_TIMEOUT_MS,
            ),
          req.signal,
        );
        ctx.live.noteProfile(seq);
        return { status: 200, body: user };
      },
    }),
  ] as RouteSpec[];
}
