import { describe, expect, it } from 'vitest';
import { AppError } from '@chat/contracts';
import { decodeDataUrl } from './data-url.ts';

const status = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as AppError).status;
  }
  return 'accepted';
};
const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 250, 251]);

describe('data: avatars', () => {
  it('decodes base64 image data: URLs whatever image type they claim', () => {
    expect(decodeDataUrl(`data:image/png;base64,${bytes.toString('base64')}`).equals(bytes)).toBe(true);
    expect(decodeDataUrl(`DATA:Image/JPEG;name=me.jpg;BASE64,${bytes.toString('base64')}`).equals(bytes)).toBe(true);
    expect(decodeDataUrl(`data:image/webp;base64,${bytes.toString('base64url')}`).equals(bytes)).toBe(true);
    expect(decodeDataUrl(`data:image/png;base64,${bytes.toString('base64').replace(/(.{4})/g, '$1\n')}`).equals(bytes)).toBe(true);
  });

  it('refuses what is not a base64 image with 415, and broken base64 with 400', () => {
    expect(status(() => decodeDataUrl('data:text/html;base64,PGgxPg=='))).toBe(415);
    expect(status(() => decodeDataUrl('data:image/svg+xml,<svg onload=alert(1)>'))).toBe(415);
    expect(status(() => decodeDataUrl('data:image/png,rawbytes'))).toBe(415);
    expect(status(() => decodeDataUrl('data:;base64,AAAA'))).toBe(415);
    expect(status(() => decodeDataUrl('data:image/png;base64,!!!!'))).toBe(400);
    expect(status(() => decodeDataUrl('data:image/png;base64,AAAAA'))).toBe(400);
    expect(status(() => decodeDataUrl('data:image/png;base64,'))).toBe(400);
    expect(status(() => decodeDataUrl('data:image/png;base64'))).toBe(400);
  });

  it('knows a picture over the limit from its length, before decoding it', () => {
    const max = 3000;
    expect(decodeDataUrl(`data:image/png;base64,${Buffer.alloc(max).toString('base64')}`, max)).toHaveLength(max);
    expect(status(() => decodeDataUrl(`data:image/png;base64,${Buffer.alloc(max + 1).toString('base64')}`, max))).toBe(413);
    expect(status(() => decodeDataUrl(`data:image/png;base64,${Buffer.alloc(1024 * 1024 + 1).toString('base64')}`))).toBe(413);
  });
});
