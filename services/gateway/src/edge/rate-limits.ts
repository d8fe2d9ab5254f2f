import { AppError } from '@chat/contracts';
import { TokenBucket } from '../limits.ts';

/** The kinds of request limited on their own, besides posts and frames (see `Allowances`). */
export type RateClass = 'signup' | 'createRoom' | 'join' | 'upload' | 'post';

/** At most `count` in a burst, refilled at `count` per minute. */
export interface CreationLimits {
  /** Sign-ups per client address. */
  signupsPerMinute: number;
  /** Rooms created per user (and three times that per client address). */
  roomsPerMinute: number;
  /** Joins per user (and five times that per client address). */
  joinsPerMinute: number;
  /** Avatar uploads per user. */
  uploadsPerMinute: number;
}

export const DEFAULT_CREATION_LIMITS: CreationLimits = { signupsPerMinute: 10, roomsPerMinute: 10, joinsPerMinute: 60, uploadsPerMinute: 10 };

const IDLE_MS = 10 * 60 * 1000;

/**
 * Limits on creating things (accounts, rooms, memberships, uploads), per user and per client
 * address, so throwaway accounts cannot sidestep the per-user limits. Refusals are 429 with
 * `Retry-After`, the seconds until the next request of the kind would pass.
 */
export class CreationLimiter {
  private readonly buckets = new Map<string, { bucket: TokenBucket; seen: number }>();

  constructor(private readonly limits: CreationLimits = DEFAULT_CREATION_LIMITS) {}

  /** Throws `rate_limited` (with the seconds to wait) when the request must wait. */
  check(kind: Exclude<RateClass, 'post'>, actor: string | null, address: string, now = Date.now()): void {
    const rules: [string, number][] = [];
    switch (kind) {
      case 'signup':
        rules.push([`signup:a:${address}`, this.limits.signupsPerMinute]);
        break;
      case 'createRoom':
        if (actor) rules.push([`room:u:${actor}`, this.limits.roomsPerMinute]);
        rules.push([`room:a:${address}`, 3 * this.limits.roomsPerMinute]);
        break;
      case 'join':
        if (actor) rules.push([`join:u:${actor}`, this.limits.joinsPerMinute]);
        rules.push([`join:a:${address}`, 5 * this.limits.joinsPerMinute]);
        break;
      case 'upload':
        if (actor) rules.push([`upload:u:${actor}`, this.limits.uploadsPerMinute]);
        break;
    }
    // Every rule is looked at before any is charged: a refusal costs nothing.
    const buckets = rules.map(([key, perMinute]) => this.bucket(key, perMinute, now));
    const waits = buckets.map((b) => b.waitMs(now));
    const wait = Math.max(0, ...waits);
    if (wait > 0) {
      throw new AppError('rate_limited', `too many ${kind === 'signup' ? 'sign-ups' : kind === 'createRoom' ? 'new rooms' : `${kind}s`}; try again later`, {
        retry_after: Math.ceil(wait / 1000),
      });
    }
    for (const b of buckets) b.take(now);
  }

  sweep(now = Date.now()): void {
    for (const [key, entry] of this.buckets) if (now - entry.seen > IDLE_MS) this.buckets.delete(key);
  }

  private bucket(key: string, perMinute: number, now: number): TokenBucket {
    let entry = this.buckets.get(key);
    if (!entry) {
      entry = { bucket: new TokenBucket(perMinute, perMinute / 60, now), seen: now };
      this.buckets.set(key, entry);
    }
    entry.seen = now;
    return entry.bucket;
  }
}
