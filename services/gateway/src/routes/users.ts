import { AppError, PatchUserBody, RegisterBody, UserIdParam, parseOrThrow } from '@chat/contracts';
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
      const { user, seq } = await ctx.call(
        'registerUser',
        { user_id: body.user_id, username: body.username, avatar: avatarFromUrl(body.avatar_url) ?? null },
        req.correlationId,
      );
      await ctx.awaitProjection(seq, req.correlationId);
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
      const avatar = body.avatar_url === null ? null : avatarFromUrl(body.avatar_url);
      const { user, seq } = await ctx.call('updateUser', { user_id: userId, username: body.username, avatar }, req.correlationId);
      await ctx.awaitProjection(seq, req.correlationId);
      return { status: 200, body: user };
    },

    defaultAvatar: async (req) => {
      const file = req.params[0] ?? '';
      const userId = parseOrThrow(UserIdParam, file.replace(/\.svg$/, ''), 'user id');
      if (!file.endsWith('.svg')) throw new AppError('not_found', 'default avatars are .svg');
      const { svg } = await ctx.call('defaultAvatar', { user_id: userId }, req.correlationId);
      return {
        status: 200,
        raw: svg,
        body: undefined,
        headers: {
          'content-type': 'image/svg+xml',
          // The name in it can change, so it is cached briefly rather than forever.
          'cache-control': 'public, max-age=300',
          'x-content-type-options': 'nosniff',
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
        },
      };
    },
  };
}
