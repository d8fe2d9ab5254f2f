import { AppError, PatchUserBody, RegisterBody, UserIdParam, parseOrThrow } from '@chat/contracts';
import { UPLOAD_CALL_TIMEOUT_MS } from '../avatar-uploads.ts';
import { avatarFromUrl, type GatewayContext } from '../context.ts';
import type { Handler } from '../http.ts';

export function userRoutes(ctx: GatewayContext): Record<string, Handler> {
  return {
    /** Registration: the user, and in token mode the session token that speaks for them. */
    register: async (req) => {
      const body = parseOrThrow(RegisterBody, await req.json(), 'body');
      if (body.user_id !== undefined && ctx.mode === 'token') {
        throw new AppError('validation_failed', 'user_id is chosen by the server in AUTH_MODE=token');
      }
      const { user } = await ctx.withAvatar(avatarFromUrl(body.avatar_url), (avatar) =>
        ctx.call('registerUser', { user_id: body.user_id, username: body.username, avatar: avatar ?? null }, req.correlationId, UPLOAD_CALL_TIMEOUT_MS),
      );
      return { status: 201, body: ctx.tokens ? { user, token: ctx.tokens.issue(user.id) } : { user } };
    },

    get: async (req) => {
      ctx.requireSession(req);
      const userId = parseOrThrow(UserIdParam, req.params[0], 'user id');
      return { status: 200, body: await ctx.call('getUser', { user_id: userId }, req.correlationId) };
    },

    patch: async (req) => {
      const userId = parseOrThrow(UserIdParam, req.params[0], 'user id');
      ctx.actorOf(req, userId);
      const body = parseOrThrow(PatchUserBody, await req.json(), 'body');
      const hint = body.avatar_url === null ? undefined : avatarFromUrl(body.avatar_url);
      const { user } = await ctx.withAvatar(hint, (avatar) =>
        ctx.call(
          'updateUser',
          { user_id: userId, username: body.username, avatar: body.avatar_url === null ? null : avatar },
          req.correlationId,
          UPLOAD_CALL_TIMEOUT_MS,
        ),
      );
      return { status: 200, body: user };
    },
  };
}
