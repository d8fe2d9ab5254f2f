import { AppError, ExternalAvatarUrl, isPlaceholderAvatar, parseOrThrow } from '@chat/contracts';
import { decodeDataUrl, isDataUrl } from './data-url.ts';

/** An avatar as a client asked for it: a URL elsewhere, or picture bytes to upload. */
export type AvatarHint = { kind: 'external'; url: string } | { kind: 'bytes'; bytes: Buffer };

/**
 * An `avatar_url` as old frontends send it. A generic placeholder (pravatar and the like) means
 * "no avatar" and is dropped, so it can never stand in for a real one. A `data:image/…;base64,`
 * URL is the picture itself: an upload, with the same checks and limits as `PUT /users/{id}/avatar`.
 * Anything else must be an absolute http(s) URL of at most 2048 characters.
 */
export function avatarFromUrl(value: string | null | undefined): AvatarHint | undefined {
  if (value === undefined || value === null || value.trim() === '') return undefined;
  const url = value.trim();
  if (isDataUrl(url)) return { kind: 'bytes', bytes: decodeDataUrl(url) };
  if (isPlaceholderAvatar(url)) return undefined;
  return { kind: 'external', url: externalAvatar(parseOrThrow(ExternalAvatarUrl, url, 'avatar_url')) };
}

/**
 * An external avatar as it is stored and served: parsed and written out again by the URL parser
 * (so quotes, spaces and odd escapes come out encoded), and never with credentials in it.
 */
export function externalAvatar(value: string): string {
  const url = new URL(value);
  if (url.username || url.password) throw new AppError('validation_failed', 'avatar_url must not carry a user name or password');
  return url.href;
}
