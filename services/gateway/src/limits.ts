/**
 * A token bucket: `capacity` actions at once, refilled at `perSecond`. Time is passed in, so the
 * rules can be tested without waiting.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** How long until a `take` would succeed (0: now). */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.perSecond) * 1000;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }
}

export interface RateLimits {
  frames: { capacity: number; perSecond: number };
  /**
   * `subscribe` frames, apart from the others: a device that comes back subscribes again to every
   * room it follows at once, which may be far more than a burst of frames.
   */
  subscriptions: { capacity: number; perSecond: number };
  posts: { capacity: number; perSecond: number };
  /** Refused actions within `floodWindowMs` that turn "too fast" into "closed". */
  floodRefusals: number;
  floodWindowMs: number;
}

/** Rooms one connection may follow at once (unless configured otherwise). */
export const MAX_SUBSCRIPTIONS = 500;

/**
 * Bursts of twice the sustained rate; a flood is a sustained excess over several seconds. Every
 * room a connection may follow can be subscribed to in one burst (`maxSubscriptions`).
 */
export const rateLimits = (postsPerSecond = 10, framesPerSecond = 30, maxSubscriptions = MAX_SUBSCRIPTIONS): RateLimits => ({
  frames: { capacity: 2 * framesPerSecond, perSecond: framesPerSecond },
  subscriptions: { capacity: Math.max(maxSubscriptions, 2 * framesPerSecond), perSecond: framesPerSecond },
  posts: { capacity: 2 * postsPerSecond, perSecond: postsPerSecond },
  floodRefusals: 5 * framesPerSecond,
  floodWindowMs: 5000,
});

export type Verdict = 'ok' | 'limited' | 'flood';

/** One user's allowance on this gateway, shared by all of their sockets and REST posts. */
export class UserAllowance {
  private readonly frames: TokenBucket;
  private readonly subscriptions: TokenBucket;
  private readonly posts: TokenBucket;
  private refusals: number[] = [];

  constructor(
    private readonly limits: RateLimits,
    now: number,
  ) {
    this.frames = new TokenBucket(limits.frames.capacity, limits.frames.perSecond, now);
    this.subscriptions = new TokenBucket(limits.subscriptions.capacity, limits.subscriptions.perSecond, now);
    this.posts = new TokenBucket(limits.posts.capacity, limits.posts.perSecond, now);
  }

  frame(now: number): Verdict {
    return this.judge(this.frames.take(now), now);
  }

  /**
   * Never a flood: a client asks again for each subscription refused (with backoff), and every
   * device of the user may be doing so at once after a gateway went away.
   */
  subscription(now: number): Exclude<Verdict, 'flood'> {
    return this.subscriptions.take(now) ? 'ok' : 'limited';
  }

  post(now: number): Verdict {
    return this.judge(this.posts.take(now), now);
  }

  private judge(allowed: boolean, now: number): Verdict {
    if (allowed) return 'ok';
    this.refusals = this.refusals.filter((t) => now - t < this.limits.floodWindowMs);
    this.refusals.push(now);
    return this.refusals.length >= this.limits.floodRefusals ? 'flood' : 'limited';
  }
}

/** Allowances per user, forgotten when a user has had no socket and no post for a while. */
export class Allowances {
  private readonly byUser = new Map<string, { allowance: UserAllowance; seen: number }>();

  constructor(private readonly limits: RateLimits = rateLimits()) {}

  of(userId: string, now: number): UserAllowance {
    let entry = this.byUser.get(userId);
    if (!entry) {
      entry = { allowance: new UserAllowance(this.limits, now), seen: now };
      this.byUser.set(userId, entry);
    }
    entry.seen = now;
    return entry.allowance;
  }

  sweep(now: number, idleMs = 60_000): void {
    for (const [user, entry] of this.byUser) if (now - entry.seen > idleMs) this.byUser.delete(user);
  }
}
