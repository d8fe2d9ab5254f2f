import { z } from 'zod';
import { FORBIDDEN_IN_NAME } from './text.ts';

export const USERNAME_MAX = 32;

/** NFC-normalised and trimmed; 1-32 characters (code points), no control characters. */
export const Username = z
  .string()
  .transform((s) => s.normalize('NFC').trim())
  .refine((s) => !FORBIDDEN_IN_NAME.test(s), 'must not contain control characters')
  .refine((s) => [...s].length >= 1, 'must not be empty')
  .refine((s) => [...s].length <= USERNAME_MAX, `must be at most ${USERNAME_MAX} characters`);

export const AVATAR_URL_MAX = 2048;

/** An avatar hosted elsewhere: absolute http(s) only, so no `javascript:` or `data:` reaches a page. */
export const ExternalAvatarUrl = z
  .string()
  .max(AVATAR_URL_MAX, `must be at most ${AVATAR_URL_MAX} characters`)
  .refine((s) => {
    try {
      const url = new URL(s);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL');

/** An uploaded avatar's key: the sha256 (hex) of its normalised 256 px WebP. */
export const AvatarKey = z.string().regex(/^[a-f0-9]{64}$/, 'must be 64 lowercase hex characters');

export const Avatar = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('external'), url: ExternalAvatarUrl }),
  z.object({ kind: z.literal('custom'), key: AvatarKey }),
]);
export type Avatar = z.infer<typeof Avatar>;

/**
 * Image bytes on their way to the profile service: staged in the uploads object store (NATS
 * messages are limited to 1 MiB by default, and an upload may be exactly that) under `object`.
 */
export const AvatarUpload = z.object({
  kind: z.literal('upload'),
  object: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  size: z.number().int().positive(),
});
export type AvatarUpload = z.infer<typeof AvatarUpload>;

/**
 * An avatar as a command asks for it: a URL elsewhere, or an upload the profile service checks,
 * normalises and stores, turning it into a `custom` avatar. A client never names a stored key.
 */
export const AvatarInput = z.discriminatedUnion('kind', [
  // No control characters in a new one: the URL parser drops or encodes them, but the string as
  // given is what is stored (Postgres refuses a NUL). Events keep `ExternalAvatarUrl` as it was.
  z.object({ kind: z.literal('external'), url: ExternalAvatarUrl.refine((s) => !FORBIDDEN_IN_NAME.test(s), 'must not contain control characters') }),
  AvatarUpload,
]);
export type AvatarInput = z.infer<typeof AvatarInput>;

/** Sizes an uploaded avatar is served at: 256 px, and 64 px for lists. */
export const AvatarSize = z.union([z.literal(256), z.literal(64)]);
export type AvatarSize = z.infer<typeof AvatarSize>;

/** Where an uploaded avatar is served; the 64 px one for lists is `-64` before the extension. */
export const customAvatarPath = (key: string, size: AvatarSize = 256): string => (size === 256 ? `/avatars/${key}.webp` : `/avatars/${key}-${size}.webp`);

export const AvatarKind = z.enum(['custom', 'external', 'default']);
export type AvatarKind = z.infer<typeof AvatarKind>;

export const defaultAvatarPath = (userId: string): string => `/avatars/default/${userId}.svg`;

/** The URL a client shows for a user: never empty, never a third-party placeholder. */
export function avatarUrl(avatar: Avatar | null, userId: string): string {
  if (!avatar) return defaultAvatarPath(userId);
  return avatar.kind === 'external' ? avatar.url : customAvatarPath(avatar.key);
}

export const avatarKind = (avatar: Avatar | null): AvatarKind => avatar?.kind ?? 'default';

// Generic avatar services a frontend falls back to. Such a URL says "this user has no avatar",
// so it is never stored as one.
const PLACEHOLDER_HOSTS = ['pravatar.cc', 'gravatar.com', 'ui-avatars.com', 'robohash.org', 'dicebear.com', 'placehold.co', 'via.placeholder.com'];

export function isPlaceholderAvatar(url: string): boolean {
  try {
    const host = new URL(url).hostname.toLowerCase();
    return PLACEHOLDER_HOSTS.some((h) => host === h || host.endsWith(`.${h}`));
  } catch {
    return false;
  }
}
