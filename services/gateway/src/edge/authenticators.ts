import { AppError } from '@chat/contracts';
import type { Session, Sessions } from '../auth.ts';
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
  actor(policy: AuthPolicy, c: Credentials): Promise<string | null>;
  /** A token to hand a newly registered user (token mode). */
  issue(userId: string): Promise<string | undefined>;
  /** Whether the token is valid (for clients without an Origin, which must prove themselves). */
  valid(token: string | undefined): Promise<boolean>;
}

/** Users a provider's tokens speak for, made known here on first sight (at most this many remembered). */
const SEEN_CAPACITY = 100_000;

/**
 * `AUTH_MODE=token`: a signed session says who you are, and you act only as yourself. A session
 * from an identity provider for a user never seen here registers that user from its claims (name,
 * picture) on first use (`onFirstUse`), once per gateway.
 */
export class TokenAuthenticator implements Authenticator {
  readonly mode = 'token' as const;
  private readonly seen = new Map<string, Promise<void>>();

  constructor(
    private readonly sessions: Sessions,
    private readonly onFirstUse: (session: Session) => Promise<void> = async () => undefined,
  ) {}

  async actor(policy: AuthPolicy, c: Credentials): Promise<string | null> {
    if (policy === 'public') return null;
    const session = await this.sessions.verify(c.token);
    const userId = session.userId;
    if (policy === 'self' && c.pathUser !== userId) throw new AppError('forbidden', 'a user can act only as itself');
    if (policy === 'actor' && c.claimed !== undefined && c.claimed !== userId) throw new AppError('forbidden', 'a user can act only as itself');
    if (session.external) await this.welcome(session);
    return userId;
  }

  issue(userId: string): Promise<string> {
    return this.sessions.issue(userId);
  }

  async valid(token: string | undefined): Promise<boolean> {
    try {
      await this.sessions.verify(token);
      return true;
    } catch {
      return false;
    }
  }

  private welcome(session: Session): Promise<void> {
    let done = this.seen.get(session.userId);
    if (!done) {
      done = this.onFirstUse(session).catch((err: unknown) => {
        this.seen.delete(session.userId);
        throw err;
      });
      this.seen.set(session.userId, done);
      if (this.seen.size > SEEN_CAPACITY) this.seen.delete(this.seen.keys().next().value!);
    }
    return done;
  }
}

/**
 * `AUTH_MODE=open`, the seed's behaviour for frontends written for it: whoever a request names is
 * who it acts as, and reads need no session. For trusted networks only (the gateway refuses to
 * start in this mode on a public address unless told it is meant to be).
 */
export class OpenAuthenticator implements Authenticator {
  readonly mode = 'open' as const;

  async actor(policy: AuthPolicy, c: Credentials): Promise<string | null> {
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

  async issue(): Promise<undefined> {
    return undefined;
  }

  async valid(): Promise<boolean> {
    return false;
  }
}
