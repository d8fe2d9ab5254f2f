import { describe, expect, it } from 'vitest';
import type { AppError } from '@chat/contracts';
import { boundaryOf, isMultipart, parseMultipartFile } from './multipart.ts';

const CT = 'multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW';
const B = '------WebKitFormBoundary7MA4YWxkTrZu0gW';
const file = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x0d, 0x0a, 0x2d, 0x2d, 0xff]);

/** A body as a browser's FormData builds it. */
const form = (...parts: [headers: string, data: Buffer | string][]) =>
  Buffer.concat([
    ...parts.flatMap(([headers, data]) => [Buffer.from(`${B}\r\n${headers}\r\n\r\n`), Buffer.from(data), Buffer.from('\r\n')]),
    Buffer.from(`${B}--\r\n`),
  ]);

const fails = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return { status: (e as AppError).status, message: (e as AppError).message };
  }
  return 'parsed';
};

describe('multipart/form-data file uploads', () => {
  it('recognises the content type and reads the boundary, quoted or not', () => {
    expect(isMultipart(CT)).toBe(true);
    expect(isMultipart('Multipart/Form-Data;boundary=x')).toBe(true);
    expect(isMultipart('multipart/form-datax; boundary=x')).toBe(false);
    expect(isMultipart('image/png')).toBe(false);
    expect(boundaryOf(CT)).toBe('----WebKitFormBoundary7MA4YWxkTrZu0gW');
    expect(boundaryOf('multipart/form-data; charset=utf-8; boundary="a b:c"')).toBe('a b:c');
    expect(fails(() => boundaryOf('multipart/form-data'))).toMatchObject({ status: 400 });
    expect(fails(() => boundaryOf(`multipart/form-data; boundary=${'x'.repeat(71)}`))).toMatchObject({ status: 400 });
  });

  it('takes the file part byte for byte, even when it contains CRLF and dashes', () => {
    const body = form(['Content-Disposition: form-data; name="avatar"; filename="me.png"\r\nContent-Type: image/png', file]);
    const part = parseMultipartFile(body, CT, 1024);
    expect(part).toMatchObject({ name: 'avatar', filename: 'me.png' });
    expect(part.data.equals(file)).toBe(true);
  });

  it('skips text fields and takes the first part with a filename, whatever its name', () => {
    const body = form(
      ['Content-Disposition: form-data; name="caption"', 'hello'],
      ['Content-Disposition: form-data; name="upload"; filename="x.jpg"', file],
      ['Content-Disposition: form-data; name="avatar"; filename="second.png"', 'other'],
    );
    expect(parseMultipartFile(body, CT, 1024)).toMatchObject({ name: 'upload', filename: 'x.jpg' });
  });

  it('takes a part named avatar or file without a filename', () => {
    const body = form(['Content-Disposition: form-data; name="file"', file]);
    expect(parseMultipartFile(body, CT, 1024).data.equals(file)).toBe(true);
  });

  it('takes a file whose name has escaped quotes, and ignores a preamble', () => {
    const body = Buffer.concat([
      Buffer.from('this is a preamble\r\n'),
      form(['content-disposition: form-data; name="avatar"; filename="a \\"quoted\\" name.png"', file]),
    ]);
    // The file is found by having a filename at all; its text is never used (uWS does not unescape it).
    expect(parseMultipartFile(body, CT, 1024).data).toEqual(file);
  });

  it('refuses a form without a file', () => {
    expect(fails(() => parseMultipartFile(form(['Content-Disposition: form-data; name="caption"', 'hi']), CT, 1024))).toMatchObject({ status: 400 });
  });

  it('refuses a body cut short in the file, and bodies that are not multipart at all', () => {
    const body = form(['Content-Disposition: form-data; name="avatar"; filename="me.png"', file]);
    expect(fails(() => parseMultipartFile(body.subarray(0, body.length - B.length - 8), CT, 1024))).toMatchObject({ status: 400 });
    expect(fails(() => parseMultipartFile(Buffer.from('just bytes'), CT, 1024))).toMatchObject({ status: 400 });
    expect(fails(() => parseMultipartFile(Buffer.alloc(0), CT, 1024))).toMatchObject({ status: 400 });
    expect(fails(() => parseMultipartFile(Buffer.from(`${B}\r\n\r\n${'x'}\r\n${B}--`), CT, 1024))).toMatchObject({ status: 400 });
    expect(fails(() => parseMultipartFile(Buffer.from(`${B}\r\nContent-Type: image/png\r\n\r\nx\r\n${B}--`), CT, 1024))).toMatchObject({ status: 400 });
  });

  it('refuses a file over the limit with 413', () => {
    const body = form(['Content-Disposition: form-data; name="avatar"; filename="big.png"', Buffer.alloc(2000)]);
    expect(fails(() => parseMultipartFile(body, CT, 1999))).toMatchObject({ status: 413 });
    expect(parseMultipartFile(body, CT, 2000).data.length).toBe(2000);
  });
});
