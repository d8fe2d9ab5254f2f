import { createHash } from 'node:crypto';
import { AVATAR_UPLOAD_MAX_BYTES, AppError, type AvatarSize, parseOrThrow, UserIdParam, UserView } from '@chat/contracts';
import type { AvatarCache } from '../avatar-cache.ts';
import { UPLOAD_CALL_TIMEOUT_MS } from '../avatar-uploads.ts';
import type { GatewayContext } from '../context.ts';
import { defineRoute, type EdgeRequest, type RouteSpec } from '../edge/spec.ts';
import { UserPath } from './users.ts';
import { z } from 'zod';
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
async function uploadedImage(req: EdgeRequest): Promise<Buffer> {
  const contentType = req.header('content-type');
  const body = await req.bytes();
  if (!isMultipart(contentType)) {
    if (body.length > AVATAR_UPLOAD_MAX_BYTES) throw new AppError('payload_too_large', `the image is larger than ${AVATAR_UPLOAD_MAX_BYTES} bytes`);
    return body;
  }
  return parseMultipartFile(body, contentType, AVATAR_UPLOAD_MAX_BYTES).data;
}

const AvatarFile = z.object({ file: z.string().max(200) });

export function avatarRoutes(ctx: GatewayContext, cache: AvatarCache): RouteSpec[] {
  return [
    defineRoute({
      method: 'put',
      path: '/users/:id/avatar',
      summary: 'Upload one’s own avatar: PNG, JPEG, WebP or GIF, raw or as multipart/form-data',
      tags: ['users'],
      auth: 'self',
      rate: 'upload',
      params: UserPath,
      bodyKind: 'bytes',
      bodyLimit: avatarUploadMaxBody,
      responses: { 200: { description: 'the user with its new avatar', schema: UserView } },
      handler: async ({ params, req }) => {
        const bytes = await uploadedImage(req);
        const { user, seq } = await ctx.withAvatar(
          { kind: 'bytes', bytes },
          (avatar) => ctx.call('updateUser', { user_id: params.id, avatar }, req.correlationId, UPLOAD_CALL_TIMEOUT_MS),
          req.signal,
        );
        ctx.live.noteProfile(seq);
        return { status: 200, body: user };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/avatars/:file',
      summary: 'An uploaded avatar: `{key}.webp` (256 px) or `{key}-64.webp`, from memory when hot',
      tags: ['avatars'],
      auth: 'public',
      params: AvatarFile,
      responses: { 200: { description: 'the image', contentType: 'image/webp' }, 304: { description: 'the ETag matches' } },
      handler: async ({ params, req }) => {
        const match = CUSTOM_FILE.exec(params.file);
        if (!match) throw new AppError('not_found', 'no such avatar');
        const key = match[1]!;
        const size: AvatarSize = match[2] ? 64 : 256;
        const etag = `"${key}${size === 64 ? '-64' : ''}"`;
        const headers = { ...IMAGE_HEADERS, 'content-type': 'image/webp', 'cache-control': IMMUTABLE, etag };
        const ifNoneMatch = req.header('if-none-match');
        // The ETag is the content's hash: a client that has it has these very bytes. `*` matches
        // only what exists, so it is answered once the image is known to be there.
        if (ifNoneMatch && ifNoneMatch.trim() !== '*' && etagMatches(ifNoneMatch, etag)) return { status: 304, headers };
        const webp = await cache.getOrLoad(`${key}-${size}`, async () =>
          Buffer.from((await ctx.call('getAvatar', { key, size }, req.correlationId)).webp, 'base64'),
        );
        if (etagMatches(ifNoneMatch, etag)) return { status: 304, headers };
        return { status: 200, raw: webp, headers };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/avatars/default/:file',
      summary: 'A user’s generated avatar (initials on a colour): `{user}.svg`',
      tags: ['avatars'],
      auth: 'public',
      params: AvatarFile,
      responses: { 200: { description: 'the image', contentType: 'image/svg+xml' }, 304: { description: 'the ETag matches' } },
      handler: async ({ params, req }) => {
        if (!params.file.endsWith('.svg')) throw new AppError('not_found', 'default avatars are .svg');
        const userId = parseOrThrow(UserIdParam, params.file.slice(0, -'.svg'.length), 'user id');
        const { svg } = await ctx.call('defaultAvatar', { user_id: userId }, req.correlationId);
        const etag = `"${createHash('sha256').update(svg).digest('base64url').slice(0, 27)}"`;
        const headers = { ...IMAGE_HEADERS, 'content-type': 'image/svg+xml', 'cache-control': REVALIDATE, etag };
        if (etagMatches(req.header('if-none-match'), etag)) return { status: 304, headers };
        return { status: 200, raw: svg, headers };
      },
    }),
  ] as RouteSpec[];
}
