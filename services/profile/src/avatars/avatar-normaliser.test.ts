import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { createHash } from 'node:crypto';
import { AppError } from '@chat/contracts';
import { testImages } from '@chat/testkit';
import { normaliseAvatar } from './avatar-normaliser.ts';

const status = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof AppError ? e.status : `not an AppError: ${String(e)}`),
  );

/** The colour at (x, y) of an image, as [r, g, b]. */
async function pixel(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}
const near = (actual: number[], expected: number[]) => actual.every((v, i) => Math.abs(v - expected[i]!) < 48);

describe('avatar normaliser', () => {
  it.each(['png', 'jpeg', 'webp', 'gif'] as const)('turns a %s into 256 px and 64 px WebP keyed by the hash of the 256 px one', async (kind) => {
    const out = await normaliseAvatar(await testImages[kind]());
    for (const [bytes, side] of [
      [out.size256, 256],
      [out.size64, 64],
    ] as const) {
      const meta = await sharp(bytes).metadata();
      expect(meta).toMatchObject({ format: 'webp', width: side, height: side });
    }
    expect(out.key).toBe(createHash('sha256').update(out.size256).digest('hex'));
  });

  it('crops the centre square: a 300×200 red|blue picture stays red on the left, blue on the right', async () => {
    const out = await normaliseAvatar(await testImages.png(300, 200));
    expect(near(await pixel(out.size256, 10, 128), [255, 0, 0])).toBe(true);
    expect(near(await pixel(out.size256, 245, 128), [0, 0, 255])).toBe(true);
  });

  it('keeps only the first frame of an animated GIF', async () => {
    const out = await normaliseAvatar(await testImages.gif());
    expect(near(await pixel(out.size256, 128, 128), [0, 255, 0])).toBe(true);
    expect((await sharp(out.size256).metadata()).pages ?? 1).toBe(1);
  });

  it('turns a photo upright and drops every piece of metadata (EXIF GPS above all)', async () => {
    const photo = await testImages.jpegWithGps();
    const before = await sharp(photo).metadata();
    expect(before.exif?.includes(Buffer.from('TestCam'))).toBe(true);
    expect(before.orientation).toBe(6);
    expect(before.exif?.includes(Buffer.from([0x25, 0x88]))).toBe(true); // the GPS IFD pointer tag
    const out = await normaliseAvatar(photo);
    for (const bytes of [out.size256, out.size64]) {
      const meta = await sharp(bytes).metadata();
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(meta.icc).toBeUndefined();
      expect(meta.orientation).toBeUndefined();
      expect(bytes.includes(Buffer.from('TestCam'))).toBe(false);
      expect(bytes.includes(Buffer.from('EXIF'))).toBe(false);
      expect(bytes.includes(Buffer.from('Exif'))).toBe(false);
    }
    // Orientation 6 means "rotate 90° clockwise to view": the red left half becomes the top.
    expect(near(await pixel(out.size256, 235, 10), [255, 0, 0])).toBe(true);
    expect(near(await pixel(out.size256, 20, 245), [0, 0, 255])).toBe(true);
  });

  it('takes 16-bit, greyscale and transparent pictures', async () => {
    const sixteen = await sharp(await testImages.png(40, 40))
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    const grey = await sharp(await testImages.png(40, 40))
      .greyscale()
      .png()
      .toBuffer();
    const alpha = await sharp({ create: { width: 40, height: 40, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0.5 } } })
      .png()
      .toBuffer();
    for (const bytes of [sixteen, grey, alpha]) {
      expect(await sharp((await normaliseAvatar(bytes)).size256).metadata()).toMatchObject({ format: 'webp', width: 256, height: 256 });
    }
  });

  it('gives the same picture the same key', async () => {
    const png = await testImages.png();
    expect((await normaliseAvatar(png)).key).toBe((await normaliseAvatar(Buffer.from(png))).key);
  });

  it('refuses what is not a decodable PNG, JPEG, WebP or GIF with 415', async () => {
    const jpeg = await testImages.jpeg(400, 400);
    for (const bytes of [
      testImages.svg(),
      testImages.html(),
      await testImages.truncatedPng(),
      await testImages.pngHtmlPolyglot(),
      testImages.gifScriptPolyglot(),
      jpeg.subarray(0, 200),
      Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from('garbage that only starts like a JPEG')]),
    ]) {
      expect(await status(normaliseAvatar(bytes))).toBe(415);
    }
  });

  it('refuses a small file that declares a huge image with 413, before decoding it', async () => {
    const huge = await testImages.hugeDeclaredPng();
    expect(huge.length).toBeLessThan(1024);
    expect(await status(normaliseAvatar(huge))).toBe(413);
  });

  it('refuses more than 1 MiB with 413, and an empty body with 400', async () => {
    expect(await status(normaliseAvatar(Buffer.alloc(1024 * 1024 + 1, 0xff)))).toBe(413);
    expect(await status(normaliseAvatar(new Uint8Array()))).toBe(400);
  });
});
