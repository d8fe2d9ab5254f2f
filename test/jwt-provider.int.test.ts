import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userIdOf } from '../services/gateway/src/auth.ts';
import { http, LiveSocket } from './support/client.ts';
import { type Stack, startStack } from './support/stack.ts';

// An identity provider of the test's own: an RS256 key pair, its public half served as a JWKS.
const ISSUER = 'https://id.example.test/';
let stack: Stack;
let jwks: Server;
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  jwks = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
  stack = await startStack({ gatewayEnv: { AUTH_JWKS_URL: url, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: 'chat-api' } });
});
afterAll(async () => {
  await stack?.stop();
  jwks?.close();
});

const providerToken = (sub: string, claims: Record<string, unknown> = {}, issuer = ISSUER) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
    .setIssuer(issuer)
    .setAudience('chat-api')
    .setSubject(sub)
    .setExpirationTime('10m')
    .sign(privateKey);

describe("an identity provider's tokens", () => {
  it('sign a user in; a user never seen is registered from the claims on first use and can chat', async () => {
    const token = await providerToken('auth0|ann-123', { name: 'Ann Provider', picture: 'https://cdn.example.com/ann.png' });
    const auth = { authorization: `Bearer ${token}` };
    const userId = userIdOf(ISSUER, 'auth0|ann-123', true);
    expect((await http(stack, 'GET', '/rooms', undefined, auth)).status).toBe(200);
    const profile = await http(stack, 'GET', `/users/${userId}`, undefined, auth);
    expect(profile.body).toMatchObject({ id: userId, username: 'Ann Provider', avatar: 'https://cdn.example.com/ann.png', avatar_kind: 'external' });
    expect((await http(stack, 'POST', '/rooms/idp/join', {}, auth)).status).toBe(200);
    const socket = await LiveSocket.open(`${stack.wsUrl}/ws/idp/${userId}?token=${token}`);
    await socket.ready();
    const posted = await http(stack, 'POST', '/rooms/idp/messages', { content: 'hello from the provider' }, auth);
    expect(posted.body).toMatchObject({ username: 'Ann Provider', avatar: 'https://cdn.example.com/ann.png' });
    await socket.until(() => socket.messages().some((m) => m.content === 'hello from the provider'), 'live');
    socket.close();
  });

  it('are refused when signed by another key, for another issuer or audience, or expired', async () => {
    const { privateKey: stranger } = await generateKeyPair('RS256');
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer(ISSUER)
      .setAudience('chat-api')
      .setSubject('mallory')
      .setExpirationTime('10m')
      .sign(stranger);
    const wrongIssuer = await providerToken('mallory', {}, 'https://evil.example/');
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer(ISSUER)
      .setAudience('chat-api')
      .setSubject('mallory')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(privateKey);
    for (const token of [forged, wrongIssuer, expired]) {
      expect((await http(stack, 'GET', '/rooms', undefined, { authorization: `Bearer ${token}` })).status).toBe(401);
    }
  });

  it('leave our own sign-up working beside them', async () => {
    const res = await http(stack, 'POST', '/users', { username: 'Local' });
    expect(res.status).toBe(201);
    expect((await http(stack, 'GET', '/rooms', undefined, { authorization: `Bearer ${res.body.token}` })).status).toBe(200);
  });
});
