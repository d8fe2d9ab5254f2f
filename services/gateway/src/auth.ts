import { createHash, createHmac, timingSafeEqual, webcrypto } from 'node:crypto';
import { AppError, isValidId } from '@chat/contracts';
import { createRemoteJWKSet, decodeProtectedHeader, errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';

export const TOKEN_TTL_SECONDS = 30 * 24 * 3600;
/** The `iss` of the tokens this gateway signs at sign-up. */
export const OWN_ISSUER = 'chat';

/** Who a session token speaks for. */
export interface Session {
  userId: string;
  /** Signed by an identity provider rather than by us: the user may be new here. */
  external: boolean;
  /** What the provider says of the user (`name` / `preferred_username`, `picture`). */
  name?: string | undefined;
  picture?: string | undefined;
}

export interface SessionOptions {
  /** HS256 key of the tokens we sign (at least 32 characters); also accepted from a provider sharing it. */
  secret: string;
  /** A provider's JSON Web Key Set (RS256, ES256, EdDSA…): its tokens are accepted too. */
  jwksUrl?: string | undefined;
  /** The `iss` a provider's tokens must carry (required with `jwksUrl`). */
  issuer?: string | undefined;
  /** The `aud` a provider's tokens must carry, if set. */
  audience?: string | undefined;
}

const unauthorized = (message: string) => new AppError('unauthorized', message);

/**
 * Session tokens as standard JWTs: we sign ours (HS256 with `AUTH_SECRET`, `iss: chat`, `sub` the
 * user), and accept an identity provider's, signed with the same secret or with a key from its
 * JWKS URL, as Centrifugo does. A provider's `sub` that is not a valid id here (`auth0|123`) maps
 * to a stable one derived from the issuer and subject. Tokens of the previous home-made format
 * (`<user>.<expiry>.<hmac>`) are still accepted until they expire (30 days).
 */
/** How long a verified token is taken as verified without checking it again, and how many are kept. */
const RECENT_MS = 10_000;
const RECENT_CAPACITY = 4096;

export class Sessions {
  /** The HS256 key, imported once: jose would import raw key bytes again on every token. */
  private readonly key: Promise<webcrypto.CryptoKey>;
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | null;
  /**
   * Tokens verified in the last moments: a request checks its token more than once (the session,
   * then the route's policy; a socket's origin, then its user), and a client's requests come in
   * bursts. Never past a token's expiry; a token without one is verified every time.
   */
  private readonly recent = new Map<string, { session: Session; until: number }>();

  constructor(private readonly opts: SessionOptions) {
    const raw = new TextEncoder().encode(opts.secret);
    this.key = webcrypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    this.jwks = opts.jwksUrl ? createRemoteJWKSet(new URL(opts.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5000 }) : null;
  }

  async issue(userId: string, nowMs = Date.now(), ttlSeconds = TOKEN_TTL_SECONDS): Promise<string> {
    const now = Math.floor(nowMs / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(OWN_ISSUER)
      .setSubject(userId)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(await this.key);
  }

  /** The session a token speaks for, or an `unauthorized` error. */
  async verify(token: string | undefined, nowMs = Date.now()): Promise<Session> {
    const hit = token === undefined ? undefined : this.recent.get(token);
    if (hit && hit.until > nowMs) return hit.session;
    const { session, expiresAtMs } = await this.verifyNow(token, nowMs);
    if (token !== undefined && expiresAtMs !== null) {
      this.recent.set(token, { session, until: Math.min(nowMs + RECENT_MS, expiresAtMs) });
      if (this.recent.size > RECENT_CAPACITY) this.recent.delete(this.recent.keys().next().value!);
    }
    return session;
  }

  private async verifyNow(token: string | undefined, nowMs: number): Promise<{ session: Session; expiresAtMs: number | null }> {
    if (!token) throw unauthorized('a session token is required');
    if (token.length > 8192) throw unauthorized('malformed session token');
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return { session: { userId: legacyVerify(this.opts.secret, token, nowMs), external: false }, expiresAtMs: null };
    }
    // Base64url decoders ignore a segment's unused low bits, so one signature has several spellings.
    // Only the canonical one is the token: a token is one string, not a family of them.
    if (!token.split('.').every(isCanonicalBase64url)) throw unauthorized('invalid session token');
    const currentDate = new Date(nowMs);
    let payload: JWTPayload;
    try {
      if (alg === 'HS256') {
        ({ payload } = await jwtVerify(token, await this.key, { algorithms: ['HS256'], currentDate }));
      } else if (this.jwks) {
        ({ payload } = await jwtVerify(token, this.jwks, { issuer: this.opts.issuer, audience: this.opts.audience, currentDate }));
      } else {
        throw unauthorized(`tokens signed with ${alg ?? 'no algorithm'} are not accepted here`);
      }
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof errors.JWTExpired) throw unauthorized('session token expired');
      throw unauthorized('invalid session token');
    }
    const external = payload.iss !== OWN_ISSUER;
    if (external && alg === 'HS256') {
      if (this.opts.issuer && payload.iss !== this.opts.issuer) throw unauthorized('session token from an unknown issuer');
      if (this.opts.audience && ![payload.aud].flat().includes(this.opts.audience)) throw unauthorized('session token for another audience');
    }
    if (!payload.sub) throw unauthorized('session token names no user (sub)');
    const name = typeof payload.name === 'string' ? payload.name : typeof payload.preferred_username === 'string' ? payload.preferred_username : undefined;
    return {
      session: {
        userId: userIdOf(payload.iss, payload.sub, external),
        external,
        name,
        picture: typeof payload.picture === 'string' ? payload.picture : undefined,
      },
      expiresAtMs: typeof payload.exp === 'number' ? payload.exp * 1000 : null,
    };
  }
}

const isCanonicalBase64url = (segment: string) => Buffer.from(segment, 'base64url').toString('base64url') === segment;

/** A provider's subject as a user id here: as it is when valid, else a stable id derived from issuer and subject. */
export function userIdOf(issuer: string | undefined, subject: string, external: boolean): string {
  if (isValidId(subject)) return subject;
  if (!external) throw unauthorized('malformed session token');
  return `x_${createHash('sha256')
    .update(`${issuer ?? ''}\u0000${subject}`)
    .digest('base64url')
    .slice(0, 40)}`;
}

/** The previous format, `<user>.<expiry>.<hmac-sha256>`, accepted until such tokens expire. */
function legacyVerify(secret: string, token: string, nowMs: number): string {
  const parts = token.split('.');
  const [userId, expiry, signature] = parts;
  if (parts.length !== 3 || !userId || !expiry || !signature || !isValidId(userId) || !/^\d{1,12}$/.test(expiry)) {
    throw unauthorized('malformed session token');
  }
  const expected = Buffer.from(createHmac('sha256', secret).update(`${userId}.${expiry}`).digest('base64url'));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw unauthorized('invalid session token');
  if (Number(expiry) * 1000 < nowMs) throw unauthorized('session token expired');
  return userId;
}

export const bearer = (authorization: string): string | undefined => {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  return match?.[1];
};
