import { createHmac } from 'node:crypto';
import { isAppError } from '@chat/contracts';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { bearer, Sessions, userIdOf } from './auth.ts';

const secret = 'x'.repeat(32);
const sessions = new Sessions({ secret });
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (isAppError(e) ? e.code : String(e)),
  );
const key = new TextEncoder().encode(secret);

describe('session tokens (JWT)', () => {
  it('issues HS256 JWTs that round-trip the user, as our own sessions', async () => {
    const token = await sessions.issue('ann');
    expect(token.split('.')).toHaveLength(3);
    expect(await sessions.verify(token)).toEqual({ userId: 'ann', external: false, name: undefined, picture: undefined });
  });

  it('refuses a missing, malformed, tampered, foreign or expired token', async () => {
    const good = await sessions.issue('ann', 0, 60);
    expect(await codeOf(sessions.verify(undefined))).toBe('unauthorized');
    expect(await codeOf(sessions.verify('garbage'))).toBe('unauthorized');
    const [h, p, s] = good.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'bob' })).toString('base64url');
    expect(await codeOf(sessions.verify(`${h}.${forged}.${s}`))).toBe('unauthorized');
    expect(await codeOf(new Sessions({ secret: 'y'.repeat(32) }).verify(await sessions.issue('ann')))).toBe('unauthorized');
    expect(await codeOf(sessions.verify(good, 61_000))).toBe('unauthorized');
    expect(await codeOf(sessions.verify(good, 59_000))).toBe('accepted');
    // "none" and algorithms without a key here are refused.
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`;
    expect(await codeOf(sessions.verify(none))).toBe('unauthorized');
  });

  it('refuses a signature spelled another way (its last character differs only in bits base64url ignores)', async () => {
    const token = await sessions.issue('ann');
    const [h, p, s] = token.split('.') as [string, string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(s.at(-1)!);
    // A 32-byte signature leaves its last character's two low bits unused: four spellings decode alike.
    const spellings = [0, 1, 2, 3].map((bits) => `${s.slice(0, -1)}${alphabet[(last & ~3) | bits]}`);
    expect(new Set(spellings.map((x) => Buffer.from(x, 'base64url').toString('hex'))).size).toBe(1);
    const results = await Promise.all(spellings.map((x) => codeOf(sessions.verify(`${h}.${p}.${x}`))));
    expect(results.filter((r) => r === 'accepted')).toHaveLength(1);
    expect(results[spellings.indexOf(s)]).toBe('accepted');
  });

  it('takes a token verified moments ago as verified (one request checks it twice), never past its expiry', async () => {
    const fresh = new Sessions({ secret });
    const token = await fresh.issue('ann', 0, 60);
    const first = await fresh.verify(token, 1_000);
    expect(await fresh.verify(token, 5_000)).toBe(first);
    // Past the short window it is verified again; past its expiry, refused, whatever was remembered.
    expect(await fresh.verify(token, 20_000)).not.toBe(first);
    expect(await codeOf(fresh.verify(token, 60_500))).toBe('unauthorized');
    const soon = await fresh.issue('bob', 0, 2);
    await fresh.verify(soon, 1_000);
    expect(await codeOf(fresh.verify(soon, 2_500))).toBe('unauthorized');
  });

  it("accepts a provider's HS256 token (the shared secret) as an external session, checking issuer and audience", async () => {
    const provider = new Sessions({ secret, issuer: 'https://id.example.com/', audience: 'chat' });
    const token = await new SignJWT({ name: 'Ann Example', picture: 'https://id.example.com/ann.png' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://id.example.com/')
      .setAudience('chat')
      .setSubject('auth0|123')
      .setExpirationTime('1h')
      .sign(key);
    const session = await provider.verify(token);
    expect(session).toMatchObject({ external: true, name: 'Ann Example', picture: 'https://id.example.com/ann.png' });
    expect(session.userId).toBe(userIdOf('https://id.example.com/', 'auth0|123', true));
    expect(session.userId).toMatch(/^x_[A-Za-z0-9_-]{40}$/);
    const otherIssuer = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://evil.example/')
      .setAudience('chat')
      .setSubject('u1')
      .setExpirationTime('1h')
      .sign(key);
    expect(await codeOf(provider.verify(otherIssuer))).toBe('unauthorized');
  });

  it('still accepts a token of the previous format until it expires', async () => {
    const expiry = Math.floor(Date.now() / 1000) + 60;
    const legacy = `ann.${expiry}.${createHmac('sha256', secret).update(`ann.${expiry}`).digest('base64url')}`;
    expect((await sessions.verify(legacy)).userId).toBe('ann');
    expect(await codeOf(sessions.verify(legacy.replace(/^ann/, 'bob')))).toBe('unauthorized');
  });

  it('reads a bearer header', () => {
    expect(bearer('Bearer abc.1.x')).toBe('abc.1.x');
    expect(bearer('Basic abc')).toBeUndefined();
  });
});
