import { describe, expect, it } from 'vitest';
import { appErrorOf } from '@chat/contracts';
import { avatarFromUrl } from './avatar-hints.ts';

const status = (fn: () => unknown) => appErrorOf(fn)?.status ?? 'accepted';
const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 250, 251]);

describe('avatar_url as old frontends send it', () => {
  it('is nothing when empty or a generic placeholder', () => {
    for (const value of [undefined, null, '', '  ', 'https://i.pravatar.cc/150?u=x']) expect(avatarFromUrl(value)).toBeUndefined();
  });

  it('is an external avatar when http(s), up to 2048 characters, and nothing else', () => {
    expect(avatarFromUrl(' https://cdn.example.com/a.png ')).toEqual({ kind: 'external', url: 'https://cdn.example.com/a.png' });
    for (const bad of ['javascript:alert(1)', 'ftp://x/a.png', 'file:///etc/passwd', '//cdn.example.com/a.png', `https://e.com/${'a'.repeat(2048)}`]) {
      expect(status(() => avatarFromUrl(bad))).toBe(400);
    }
  });

  it('is an upload when a data: image', () => {
    expect(avatarFromUrl(`data:image/gif;base64,${bytes.toString('base64')}`)).toEqual({ kind: 'bytes', bytes });
  });
});
