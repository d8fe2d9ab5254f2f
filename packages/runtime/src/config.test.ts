import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ConfigError, baseConfig, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';

const secret = 's'.repeat(32);
/** As the gateway builds its schema: it signs tokens, and extends the base with its own variables. */
const gatewayLike = () => baseConfig(8080, { signsTokens: true }).extend({ OPS_PORT: z.coerce.number().default(9080) });

describe('configuration', () => {
  it('has working defaults for local runs', () => {
    const config = loadConfig(baseConfig(8081), {});
    expect(config).toMatchObject({ NATS_URL: 'nats://127.0.0.1:4222', CHAT_NAMESPACE: 'chat', PORT: 8081, AUTH_MODE: 'token' });
  });

  it('names every bad or missing variable at once', () => {
    try {
      loadConfig(gatewayLike(), { PORT: 'eighty', CHAT_NAMESPACE: 'a.b', DATABASE_URL: 'mysql://x', AUTH_MODE: 'token' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const message = (e as Error).message;
      for (const name of ['PORT', 'CHAT_NAMESPACE', 'DATABASE_URL', 'AUTH_SECRET']) expect(message).toContain(name);
    }
  });

  it('makes a service that signs tokens need a long secret in token mode, and only in token mode', () => {
    expect(() => loadConfig(gatewayLike(), {})).toThrow(/AUTH_SECRET: is required in AUTH_MODE=token/);
    expect(() => loadConfig(gatewayLike(), { AUTH_MODE: 'token', AUTH_SECRET: 'short' })).toThrow(/AUTH_SECRET/);
    expect(loadConfig(gatewayLike(), { AUTH_SECRET: secret })).toMatchObject({ AUTH_MODE: 'token', AUTH_SECRET: secret, OPS_PORT: 9080 });
    expect(loadConfig(gatewayLike(), { AUTH_MODE: 'open' }).AUTH_MODE).toBe('open');
    expect(() => loadConfig(gatewayLike(), { AUTH_MODE: 'sometimes' })).toThrow(/AUTH_MODE/);
  });

  it('does not ask the services that never see a token for the secret', () => {
    // room, profile and projection: token mode (the default) without AUTH_SECRET, extended or not.
    expect(loadConfig(baseConfig(8081), { AUTH_MODE: 'token' }).AUTH_SECRET).toBeUndefined();
    expect(loadConfig(baseConfig(8083).extend({ PROJECTION_NAME: z.string().default('projection') }), {}).PROJECTION_NAME).toBe('projection');
    // The option belongs to the schema it was given to, not to every schema built after it.
    gatewayLike();
    expect(() => loadConfig(baseConfig(8082), {})).not.toThrow();
  });

  it('takes a NATS user and password together or not at all (empty counts as unset)', () => {
    const base = { AUTH_MODE: 'open' };
    const none = loadConfig(baseConfig(1), base);
    expect([none.NATS_USER, none.NATS_PASSWORD]).toEqual([undefined, undefined]);
    expect(loadConfig(baseConfig(1), { ...base, NATS_USER: '', NATS_PASSWORD: '' }).NATS_USER).toBeUndefined();
    expect(loadConfig(baseConfig(1), { ...base, NATS_USER: 'room', NATS_PASSWORD: 'pSecret1' })).toMatchObject({
      NATS_USER: 'room',
      NATS_PASSWORD: 'pSecret1',
    });
    expect(() => loadConfig(baseConfig(1), { ...base, NATS_USER: 'room' })).toThrow(/NATS_PASSWORD/);
    expect(() => loadConfig(baseConfig(1), { ...base, NATS_PASSWORD: 'pSecret1' })).toThrow(/NATS_USER/);
    // The user names the inbox prefix `_INBOX_<user>`: subject characters only.
    expect(() => loadConfig(baseConfig(1), { ...base, NATS_USER: 'a.b', NATS_PASSWORD: 'x' })).toThrow(/NATS_USER/);
  });

  it('keeps the NATS password out of errors and logs', () => {
    try {
      loadConfig(baseConfig(1), { AUTH_MODE: 'open', NATS_USER: 'a.b', NATS_PASSWORD: 'pTopSecret' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).not.toContain('pTopSecret');
    }
    const lines: string[] = [];
    const log = createLogger('t', 'info', { write: (line: string) => lines.push(line) });
    log.info({ config: { NATS_PASSWORD: 'pTopSecret' }, opts: { user: 'room', pass: 'pTopSecret' } }, 'started');
    expect(lines.join('')).not.toContain('pTopSecret');
  });
});
