import { describe, expect, it } from 'vitest';
import { testImages } from '@chat/testkit';
import type { AppError } from './errors.ts';
import { magicType, sniffImage } from './image-sniff.ts';

const refusal = (bytes: Uint8Array) => {
  try {
    sniffImage(bytes);
  } catch (e) {
    return { status: (e as AppError).status, message: (e as AppError).message };
  }
  return 'accepted';
};

describe('recognising images by their bytes', () => {
  it('knows PNG, JPEG, WebP and GIF from their magic numbers', async () => {
    expect(sniffImage(await testImages.png())).toBe('png');
    expect(sniffImage(await testImages.jpeg())).toBe('jpeg');
    expect(sniffImage(await testImages.webp())).toBe('webp');
    expect(sniffImage(await testImages.gif())).toBe('gif');
    expect(magicType(Buffer.from('GIF87a......'))).toBe('gif');
  });

  it('refuses SVG, HTML, text and unknown bytes with 415, whatever they claim to be', () => {
    for (const bytes of [
      testImages.svg(),
      testImages.html(),
      Buffer.from('just text'),
      Buffer.from([0, 1, 2, 3]),
      Buffer.from('RIFF\x10\x00\x00\x00WAVEfmt '),
    ]) {
      expect(refusal(bytes)).toMatchObject({ status: 415 });
    }
  });

  it('refuses an empty body with 400', () => {
    expect(refusal(new Uint8Array())).toMatchObject({ status: 400 });
  });

  it('refuses polyglots: markup behind image magic, or a page appended to a PNG', async () => {
    expect(refusal(testImages.gifScriptPolyglot())).toMatchObject({ status: 415, message: 'the image carries markup' });
    expect(refusal(await testImages.pngHtmlPolyglot())).toMatchObject({ status: 415 });
    const png = await testImages.png(8, 8);
    expect(refusal(Buffer.concat([png, Buffer.from('trailing')]))).toMatchObject({ status: 415, message: 'the PNG has data after its end' });
    const webp = await testImages.webp(8, 8);
    expect(refusal(Buffer.concat([webp, Buffer.from('xx')]))).toMatchObject({ status: 415, message: 'the WebP has data after its end' });
  });

  it('refuses a PNG or WebP that is cut short', async () => {
    expect(refusal(await testImages.truncatedPng())).toMatchObject({ status: 415, message: 'the PNG is truncated' });
    const png = await testImages.png(8, 8);
    expect(refusal(png.subarray(0, 12))).toMatchObject({ status: 415 });
    const webp = await testImages.webp(64, 64);
    expect(refusal(webp.subarray(0, webp.length - 4))).toMatchObject({ status: 415, message: 'the WebP is truncated' });
  });

  it('leaves the pixel count to the decoder: a PNG that declares 20000×20000 is well-framed', async () => {
    expect(sniffImage(await testImages.hugeDeclaredPng())).toBe('png');
  });
});
