import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError, isValidId } from '@chat/contracts';

export const TOKEN_TTL_SECONDS = 30 * 24 * 3600;

/** Signed session tokens: `<user>.<expiry>.<hmac>`; stateless, so any gateway can check them. */
export class Tokens {
  constructor(private readonly secret: string) {}

  issue(userId: string, nowMs = Date.now(), ttlSeconds = TOKEN_TTL_SECONDS): string {
    const payload = `${userId}.${Math.floor(nowMs / 1000) + ttlSeconds}`;
    return `${payload}.${this.sign(payload)}`;
  }

  /** The user a token speaks for, or an `unauthorized` error. */
  verify(token: string | undefined, nowMs = Date.now()): string {
    if (!token) throw new AppError('unauthorized', 'a session token is required');
    const parts = token.split('.');
    const [userId, expiry, signature] = parts;
    if (parts.length !== 3 || !userId || !expiry || !signature || !isValidId(userId) || !/^\d{1,12}$/.test(expiry)) {
      throw new AppError('unauthorized', 'malformed session token');
    }
    const expected = Buffer.from(this.sign(`${userId}.${expiry}`));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new AppError('unauthorized', 'invalid session token');
    }
    if (Number(expiry) * 1000 < nowMs) throw new AppError('unauthorized', 'session token expired');
    return userId;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}

export const bearer = (authorization: string): string | undefined => {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  return match?.[1];
};
