import { describe, expect, it } from 'vitest';
import { defaultAvatarSvg, initials } from './default-avatar.ts';

describe('default avatar', () => {
  it('shows initials of the first and last word', () => {
    expect(initials('ann lee')).toBe('AL');
    expect(initials('bob')).toBe('B');
    expect(initials('  ')).toBe('?');
    expect(initials('élodie Ünal')).toBe('ÉÜ');
  });

  it('is deterministic per user and differs between users', () => {
    expect(defaultAvatarSvg('u1', 'Ann')).toBe(defaultAvatarSvg('u1', 'Ann'));
    const hue = (svg: string) => /hsl\((\d+)/.exec(svg)?.[1];
    const hues = new Set(['u1', 'u2', 'u3', 'u4', 'u5'].map((id) => hue(defaultAvatarSvg(id, 'Ann'))));
    expect(hues.size).toBeGreaterThan(1);
  });

  it('escapes the name, so a name cannot inject markup', () => {
    const svg = defaultAvatarSvg('u1', '<script>alert(1)</script> "x"');
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;');
    expect(svg).toContain('&quot;x&quot;');
  });
});
