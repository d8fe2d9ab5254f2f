import { describe, expect, it } from 'vitest';
import { ConfigError, baseConfig, loadConfig } from './config.ts';

const secret = 's'.repeat(32);

describe('configuration', () => {
  it('has working defaults for local runs', () => {
    const config = loadConfig(baseConfig(8081), { AUTH_SECRET: secret });
    expect(config).toMatchObject({ NATS_URL: 'nats://127.0.0.1:4222', CHAT_NAMESPACE: 'chat', PORT: 8081, AUTH_MODE: 'token' });
  });

  it('names every bad or missing variable at once', () => {
    try {
      loadConfig(baseConfig(8081), { PORT: 'eighty', CHAT_NAMESPACE: 'a.b', DATABASE_URL: 'mysql://x', AUTH_MODE: 'token' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const message = (e as Error).message;
      for (const name of ['PORT', 'CHAT_NAMESPACE', 'DATABASE_URL', 'AUTH_SECRET']) expect(message).toContain(name);
    }
  });

  it('needs no secret in open mode, and a long one in token mode', () => {
    expect(loadConfig(baseConfig(1), { AUTH_MODE: 'open' }).AUTH_MODE).toBe('open');
    expect(() => loadConfig(baseConfig(1), { AUTH_MODE: 'token', AUTH_SECRET: 'short' })).toThrow(/AUTH_SECRET/);
    expect(() => loadConfig(baseConfig(1), { AUTH_MODE: 'sometimes' })).toThrow(/AUTH_MODE/);
  });
});
