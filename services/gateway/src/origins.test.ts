import { describe, expect, it } from 'vitest';
import { OriginPolicy } from './origins.ts';

describe('origin policy', () => {
  const policy = new OriginPolicy('https://app.example.com, http://localhost:5173');

  it('matches exactly', () => {
    expect(policy.allows('https://app.example.com')).toBe(true);
    expect(policy.allows('HTTPS://APP.EXAMPLE.COM')).toBe(true);
    for (const bad of ['https://evil.example', 'null', 'https://app.example.com.evil.com', 'http://app.example.com', 'https://app.example.com:443x']) {
      expect(policy.allows(bad)).toBe(false);
    }
  });

  it('admits a client without Origin only with a valid token', () => {
    expect(() => policy.checkUpgrade('', true)).not.toThrow();
    expect(() => policy.checkUpgrade('', false)).toThrow(/token/);
    expect(() => policy.checkUpgrade('null', true)).toThrow(/origin/);
  });

  it('allows everything when no list is configured', () => {
    const open = new OriginPolicy(undefined);
    expect(open.allows('https://anything.example')).toBe(true);
    expect(open.corsHeaders('https://anything.example')['access-control-allow-origin']).toBe('*');
    expect(() => open.checkUpgrade('', false)).not.toThrow();
  });

  it('sends CORS headers only to allowed origins', () => {
    expect(policy.corsHeaders('https://evil.example')).toEqual({});
    expect(policy.corsHeaders('https://app.example.com')).toEqual({
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-expose-headers': 'x-request-id, retry-after, x-next-before, x-next-after, link',
      vary: 'origin',
    });
  });
});
