import { AppError } from '@chat/contracts';
import type { Tokens } from '../auth.ts';
import type { AuthPolicy } from './spec.ts';

/** What a request says about who it is. */
export interface Credentials {
  /** A session token (bearer header, `?token=` or the WebSocket protocol header). */
  token: string | undefined;
  /** The user a body or path names as acting (the seed's `user_id`). */
  claimed: string | undefined;
  /** The path's own user (`/users/{id}`), for `self`. */
  pathUser: string | undefined;
}

/**
 * One auth mode: who a request acts as under a route's policy. Token and open mode are the two
 * implementations; no handler branches on the mode.
 */
export interface Authenticator {
  readonly mode: 'token' | 'open';
  /** Token mode checks the token before anything else is looked at, so a refusal never depends on what exists. */
  actor(policy: AuthPolicy, c: Credentials): string | null;
  /** A token to hand a newly registered user (token mode). */
  issue(userId: string): string | undefined;
  /** Whether the token is valid (for clients without an Origin, which must prove themselves). */
  valid(token: string | undefined): boolean;
}

/** `AUTH_MODE=token`: a signed session says who you are, and you act only as yourself. */
export class TokenAuthenticator implements Authenticator {
  readonly mode = 'token' as const;

  constructor(private readonly tokens: Tokens) {}

  actor(policy: AuthPolicy, c: Credentials): string | null {
    if (policy === 'public') return null;
    const userId = this.tokens.verify(c.token);
    if (policy === 'self' && c.pathUser !== userId) throw new AppError('forbidden', 'a user can act only as itself');
    if (policy === 'actor' && c.claimed !== undefined && c.claimed !== userId) throw new AppError('forbidden', 'a user can act only as itself');
    return userId;
  }

  issue(userId: string): string {
    return this.tokens.issue(userId);
  }

  valid(token: string | undefined): boolean {
    try {
      this.tokens.verify(token);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * `AUTH_MODE=open`, the seed's behaviour for frontends written for it: whoever a request names is
 * who it acts as, and reads need no session. For trusted networks only (the gateway refuses to
 * start in this mode on a public address unless told it is meant to be).
 */
export class OpenAuthenticator implements Authenticator {
  readonly mode = 'open' as const;

  actor(policy: AuthPolicy, c: Credentials): string | null {
    switch (policy) {
      case 'public':
      case 'session':
        return c.claimed ?? null;
      case 'self':
        return c.pathUser ?? null;
      case 'actor':
        if (c.claimed === undefined) throw new AppError('validation_failed', 'user_id is required');
        return c.claimed;
    }
  }

  issue(): undefined {
    return undefined;
  }

  valid(): boolean {
    return false;
  }
}
