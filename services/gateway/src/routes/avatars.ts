import { createHash } from 'node:crypto';
import { AVATAR_UPLOAD_MAX_BYTES, AppError, UserIdParam, parseOrThrow, type AvatarSize } from '@chat/contracts';
import type { AvatarCache } from '../avatar-cache.ts';
import { UPLOAD_CALL_TIMEOUT_MS } from '../avatar-uploads.ts';
import type { GatewayContext } from '../context.ts';
import type { Handler, Request } from '../http.ts';
import { MULTIPART_OVERHEAD_BYTES, isMultipart, parseMultipartFile } from '../multipart.ts';

/**
 * What every avatar image is sent with: never sniffed as anything but its declared type, never
 * able to load or run anything (an SVG opened on its own included).
 */
const IMAGE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'",
} as const;
/** An uploaded avatar's URL names its content (the key is its hash): it can be kept forever. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/**
 * A default avatar's URL stays the same when the user's name (its initials) changes, so it is
 * kept briefly and then revalidated with its ETag (a 304 costs a few bytes).
 */
const REVALIDATE = 'public, max-age=300';

const CUSTOM_FILE = /^([a-f0-9]{64})(?:-(64))?\.webp$/;

/** The largest body `PUT /users/{id}/avatar` reads: the image, plus multipart framing if any. */
export const avatarUploadMaxBody = (header: (name: string) => string): number =>
  AVATAR_UPLOAD_MAX_BYTES + (isMultipart(header('content-type')) ? MULTIPART_OVERHEAD_BYTES : 0);

/** Does `If-None-Match` name this ETag (weakly, as RFC 9110 compares for GET), or `*`? */
export function etagMatches(ifNoneMatch: string, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

/** The image of an upload: the raw body, or the file of a multipart form. */
async function uploadedImage(req: Request): Promise<Buffer> {
  const contentType = req.header('content-type');
  if (!isMultipart(contentType)) return req.bytes(AVATAR_UPLOAD_MAX_BYTES);
  return parseMultipartFile(await req.bytes(), contentType, AVATAR_UPLOAD_MAX_BYTES).data;
}

export function avatarRoutes(ctx: GatewayContext, cache: AvatarCache): Record<string, Handler> {
  return {
    /** `PUT /users/{id}/avatar`: only as oneself; answers the user with the new avatar. */
    upload: async (req) => {
      const userId = parseOrThrow(UserIdParam, req.params[0], 'user id');
      ctx.actorOf(req, userId);
      const bytes = await uploadedImage(req);
      const { user } = await ctx.withAvatar({ kind: 'bytes', bytes }, (avatar) =>
        ctx.call('updateUser', { user_id: userId, avatar }, req.correlationId, UPLOAD_CALL_TIMEOUT_MS),
      );
      return { status: 200, body: user };
    },

    /** `GET /avatars/{key}.webp` (256 px) and `/avatars/{key}-64.webp`: from memory when hot. */
    image: async (req) => {
      const match = CUSTOM_FILE.exec(req.params[0] ?? '');
      if (!match) throw new AppError('not_found', 'no such avatar');
      const key = match[1]!;
      const size: AvatarSize = match[2] ? 64 : 256;
      const etag = `"${key}${size === 64 ? '-64' : ''}"`;
      const headers = { ...IMAGE_HEADERS, 'content-type': 'image/webp', 'cache-control': IMMUTABLE, etag };
      // The ETag is the content's hash: a client that has it has these very bytes.
      if (etagMatches(req.header('if-none-match'), etag)) return { status: 304, body: undefined, headers };
      const webp = await cache.getOrLoad(`${key}-${size}`, async () =>
        Buffer.from((await ctx.call('getAvatar', { key, size }, req.correlationId)).webp, 'base64'),
      );
      return { status: 200, raw: webp, body: undefined, headers };
    },

    /** `GET /avatars/default/{user}.svg`: initials on a colour, the name escaped by the profile service. */
    defaultAvatar: async (req) => {
      const file = req.params[0] ?? '';
      if (!file.endsWith('.svg')) throw new AppError('not_found', 'default avatars are .svg');
      const userId = parseOrThrow(UserIdParam, file.slice(0, -'.svg'.length), 'user id');
      const { svg } = await ctx.call('defaultAvatar', { user_id: userId }, req.correlationId);
      const etag = `"${createHash('sha256').update(svg).digest('base64url').slice(0, 27)}"`;
      const headers = { ...IMAGE_HEADERS, 'content-type': 'image/svg+xml', 'cache-control': REVALIDATE, etag };
      if (etagMatches(req.header('if-none-match'), etag)) return { status: 304, body: undefined, headers };
      return { status: 200, raw: svg, body: undefined, headers };
    },
  };
}
