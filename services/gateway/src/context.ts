import { call } from '@chat/bus';
import { AppError, ExternalAvatarUrl, isPlaceholderAvatar, parseOrThrow, type Avatar, type RpcName, type Rpc, type Subjects } from '@chat/contracts';
import { ConcurrencyLimit, type Logger } from '@chat/runtime';
import type { NatsConnection } from 'nats';
import type { z } from 'zod';
import { bearer, type Tokens } from './auth.ts';
import type { Request } from './http.ts';
import { Allowances, type RateLimits } from './limits.ts';
import type { OriginPolicy } from './origins.ts';

export type AuthMode = 'token' | 'open';

/** How long a write waits for the projection before answering without its read side. */
export const READ_YOUR_WRITES_WAIT_MS = 2000;

/** Socket set-up requests (admission, the cursor, history pages to replay) in flight at once. */
export const SOCKET_SETUP_IN_FLIGHT = 64;

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
    limits: RateLimits,
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

  call<N extends RpcName>(name: N, request: z.input<(typeof Rpc)[N]['request']>, correlationId?: string): Promise<z.output<(typeof Rpc)[N]['reply']>> {
    return call(this.nc, this.s, name, request, { correlationId });
  }

  /**
   * Read your writes: once a write has answered, history and member lists show it. A projection
   * that is down or slow delays the answer by at most the wait, never fails it.
   */
  async awaitProjection(seq: number, correlationId: string): Promise<void> {
    await this.call('awaitPosition', { seq, wait_ms: READ_YOUR_WRITES_WAIT_MS }, correlationId).catch(() => undefined);
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

/**
 * An `avatar_url` as old frontends send it. A generic placeholder (pravatar and the like) means
 * "no avatar" and is dropped, so it can never stand in for a real one. `data:` uploads are
 * handled by the avatar upload route and are not accepted here.
 */
export function avatarFromUrl(value: string | null | undefined): Avatar | undefined {
  if (value === undefined || value === null || value.trim() === '') return undefined;
  const url = value.trim();
  if (isPlaceholderAvatar(url)) return undefined;
  if (/^data:/i.test(url)) throw new AppError('unsupported_media_type', 'data: avatars are not accepted here; upload the image with PUT /users/{id}/avatar');
  return { kind: 'external', url: parseOrThrow(ExternalAvatarUrl, url, 'avatar_url') };
}
