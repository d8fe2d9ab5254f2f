import { call, type NatsConnection } from '@chat/bus';
import {
  AppError,
  type AvatarInput,
  ExternalAvatarUrl,
  isPlaceholderAvatar,
  type MessageState,
  type MessageView,
  parseOrThrow,
  type Rpc,
  type RpcName,
  type Subjects,
} from '@chat/contracts';
import { ConcurrencyLimit, type Logger } from '@chat/runtime';
import type { z } from 'zod';
import { bearer, type Tokens } from './auth.ts';
import type { AvatarUploads } from './avatar-uploads.ts';
import { decodeDataUrl, isDataUrl } from './data-url.ts';
import type { Request } from './http.ts';
import { Allowances, type RateLimits } from './limits.ts';
import type { OriginPolicy } from './origins.ts';

export type AuthMode = 'token' | 'open';

/** Socket set-up requests (admission, the cursor, history pages to replay) in flight at once. */
export const SOCKET_SETUP_IN_FLIGHT = 64;

/**
 * What routes need of the live side: how far each room's log goes (so a read reflects the writes
 * a client has seen) and views of messages fresh from the room service, enriched at once.
 */
export interface LiveState {
  /** The seq a read of this room must reflect: its last event as far as this gateway knows. */
  head(roomId: string): number;
  /** Every event up to here has reached this gateway. */
  position(): number;
  /** A write through this gateway that appended `seq` to the room's log. */
  noteWrite(roomId: string, seq: number): void;
  messageView(state: MessageState): Promise<MessageView>;
}

/** What every route needs: how to reach the services and how to tell who is asking. */
export class GatewayContext {
  readonly allowances: Allowances;
  /**
   * Socket set-up goes through here: a reconnect storm of thousands of sockets then reaches the
   * services as fast as they answer, rather than all at once with most of it timing out.
   */
  readonly socketSetup = new ConcurrencyLimit(SOCKET_SETUP_IN_FLIGHT);

  constructor(
    readonly nc: NatsConnection,
    readonly s: Subjects,
    readonly mode: AuthMode,
    readonly tokens: Tokens | null,
    readonly origins: OriginPolicy,
    readonly log: Logger,
    readonly uploads: AvatarUploads,
    limits: RateLimits,
    readonly live: LiveState,
  ) {
    this.allowances = new Allowances(limits);
  }

  hasValidToken(token: string | undefined): boolean {
    if (!this.tokens || !token) return false;
    try {
      this.tokens.verify(token);
      return true;
    } catch {
      return false;
    }
  }

  /** Posts share one allowance per user, whether they come over REST or a socket. */
  checkPost(userId: string): void {
    const now = Date.now();
    if (this.allowances.of(userId, now).post(now) !== 'ok') throw new AppError('rate_limited', 'too many messages; slow down');
  }

  call<N extends RpcName>(
    name: N,
    request: z.input<(typeof Rpc)[N]['request']>,
    correlationId?: string,
    timeoutMs?: number,
  ): Promise<z.output<(typeof Rpc)[N]['reply']>> {
    return call(this.nc, this.s, name, request, { correlationId, timeoutMs });
  }

  /** Runs `use` with the avatar a command should carry: an uploaded picture is staged for it first. */
  withAvatar<T>(hint: AvatarHint | undefined, use: (avatar: AvatarInput | undefined) => Promise<T>): Promise<T> {
    return hint?.kind === 'bytes' ? this.uploads.with(hint.bytes, use) : use(hint);
  }

  /** Token mode: the token's user (a user acts only as itself). Open mode: whoever the client names. */
  actor(token: string | undefined, claimed: string | undefined): string {
    if (this.mode === 'token') {
      const userId = this.tokens!.verify(token);
      if (claimed !== undefined && claimed !== userId) throw new AppError('forbidden', 'a user can act only as itself');
      return userId;
    }
    if (claimed === undefined) throw new AppError('validation_failed', 'user_id is required');
    return claimed;
  }

  actorOf(req: Request, claimed: string | undefined): string {
    return this.actor(bearer(req.header('authorization')), claimed);
  }

  /** In token mode every route but registration needs a valid token. */
  requireSession(req: Request): void {
    if (this.mode === 'token') this.tokens!.verify(bearer(req.header('authorization')));
  }
}

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
  return { kind: 'external', url: parseOrThrow(ExternalAvatarUrl, url, 'avatar_url') };
}
