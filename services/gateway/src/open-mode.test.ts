import { ConfigError } from '@chat/runtime';
import { describe, expect, it } from 'vitest';
import { checkOpenMode } from './main.ts';

const logger = () => {
  const warnings: string[] = [];
  return { warnings, log: { warn: (_o: object, m: string) => void warnings.push(m) } };
};

describe('open mode', () => {
  it('is refused on an address others can reach, unless OPEN_MODE_PUBLIC says it is meant', () => {
    const { log } = logger();
    expect(() => checkOpenMode({ AUTH_MODE: 'open', HOST: '0.0.0.0', OPEN_MODE_PUBLIC: false }, log)).toThrow(ConfigError);
    expect(() => checkOpenMode({ AUTH_MODE: 'open', HOST: '10.0.0.5', OPEN_MODE_PUBLIC: false }, log)).toThrow(/OPEN_MODE_PUBLIC=true/);
  });

  it('warns loudly whenever it runs: on loopback, or public by choice', () => {
    for (const config of [
      { AUTH_MODE: 'open', HOST: '127.0.0.1', OPEN_MODE_PUBLIC: false },
      { AUTH_MODE: 'open', HOST: '0.0.0.0', OPEN_MODE_PUBLIC: true },
    ]) {
      const { log, warnings } = logger();
      checkOpenMode(config, log);
      expect(warnings.join()).toMatch(/NO AUTHENTICATION/);
    }
  });

  it('token mode says nothing', () => {
    const { log, warnings } = logger();
    checkOpenMode({ AUTH_MODE: 'token', HOST: '0.0.0.0', OPEN_MODE_PUBLIC: false }, log);
    expect(warnings).toEqual([]);
  });
});
