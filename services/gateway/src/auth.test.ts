import { describe, expect, it } from 'vitest';
import { appErrorOf } from '@chat/contracts';
import { Tokens, bearer } from './auth.ts';

const tokens = new Tokens('x'.repeat(32));
const code = (fn: () => unknown) => appErrorOf(fn)?.code ?? 'accepted';

describe('session tokens', () => {
  it('round-trips the user id', () => {
    expect(tokens.verify(tokens.issue('ann'))).toBe('ann');
  });

  it('refuses a missing, malformed, tampered, foreign or expired token', () => {
    const good = tokens.issue('ann', 0, 60);
    expect(code(() => tokens.verify(undefined))).toBe('unauthorized');
    expect(code(() => tokens.verify('garbage'))).toBe('unauthorized');
    expect(code(() => tokens.verify(good.replace(/^ann/, 'bob')))).toBe('unauthorized');
    expect(code(() => new Tokens('y'.repeat(32)).verify(tokens.issue('ann')))).toBe('unauthorized');
    expect(code(() => tokens.verify(good, 61_000))).toBe('unauthorized');
    expect(code(() => tokens.verify(good, 59_000))).toBe('accepted');
  });

  it('reads a bearer header', () => {
    expect(bearer('Bearer abc.1.x')).toBe('abc.1.x');
    expect(bearer('Basic abc')).toBeUndefined();
  });
});
