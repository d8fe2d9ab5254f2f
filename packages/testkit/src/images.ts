import { crc32 } from 'node:zlib';
import sharp from 'sharp';

/**
 * Test images, made with the same library the profile service decodes with, plus the hostile
 * ones made by hand: truncated, lying about their size, or not images at all.
 */

/** A picture whose left half is red and right half blue, so orientation and cropping show. */
async function halves(width: number, height: number): Promise<{ data: Buffer; info: { width: number; height: number; channels: 3 } }> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (x < width / 2) data[i] = 255;
      else data[i + 2] = 255;
    }
  }
  return { data, info: { width, height, channels: 3 } };
}

const fromRaw = async (width: number, height: number) => {
  const { data, info } = await halves(width, height);
  return sharp(data, { raw: info });
};

export const testImages = {
  png: async (width = 300, height = 200) => (await fromRaw(width, height)).png().toBuffer(),
  jpeg: async (width = 300, height = 200) => (await fromRaw(width, height)).jpeg().toBuffer(),
  webp: async (width = 300, height = 200) => (await fromRaw(width, height)).webp().toBuffer(),
  /** Two frames: green, then magenta. Only the first may become the avatar. */
  gif: async (size = 120) => {
    const frame = (rgb: [number, number, number]) => Buffer.alloc(size * size * 3, Buffer.from(rgb));
    return sharp(Buffer.concat([frame([0, 255, 0]), frame([255, 0, 255])]), { raw: { width: size, height: size * 2, channels: 3, pageHeight: size } })
      .gif()
      .toBuffer();
  },
  /** A phone photo: camera make, GPS position and an orientation tag (rotate 90° clockwise). */
  jpegWithGps: async (width = 400, height = 300) =>
    (await fromRaw(width, height))
      .jpeg()
      .withExif({
        IFD0: { Make: 'TestCam', Model: 'Leaky 1', Software: 'secret-editor' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2964/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 21/1 792/100' },
      })
      .withMetadata({ orientation: 6 })
      .toBuffer(),
  /** A big noisy PNG: large in bytes for its size in pixels. */
  noisyPng: async (width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
      .png({ compressionLevel: 0 })
      .toBuffer(),
  /** The first half of a valid PNG. */
  truncatedPng: async () => {
    const whole = await testImages.noisyPng(200, 200);
    return whole.subarray(0, Math.floor(whole.length / 2));
  },
  /** A valid 1×1 PNG whose header claims 20000×20000 pixels, with a correct checksum. */
  hugeDeclaredPng: async (side = 20000) => {
    const png = Buffer.from(
      await sharp({ create: { width: 1, height: 1, channels: 3, background: '#ff0000' } })
        .png()
        .toBuffer(),
    );
    // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), …, CRC over type+data.
    png.writeUInt32BE(side, 16);
    png.writeUInt32BE(side, 20);
    png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
    return png;
  },
  /** A valid PNG of exactly `total` bytes, padded with a private ancillary chunk decoders skip. */
  pngOfSize: async (total: number) => {
    const png = await testImages.png(16, 16);
    const iend = png.subarray(png.length - 12);
    const length = total - png.length - 12;
    if (length < 0) throw new Error(`a PNG cannot be as small as ${total} bytes`);
    const chunk = Buffer.alloc(12 + length);
    chunk.writeUInt32BE(length, 0);
    chunk.write('prVt', 4, 'latin1');
    chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + length)), 8 + length);
    return Buffer.concat([png.subarray(0, png.length - 12), chunk, iend]);
  },
  svg: () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script></svg>'),
  html: () => Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>'),
  /** A real PNG with a web page appended: an image to a decoder, a page to a sniffing browser. */
  pngHtmlPolyglot: async () => Buffer.concat([await testImages.png(16, 16), Buffer.from('<html><script>alert(1)</script></html>')]),
  /** GIF magic followed by a script: the classic GIF/JavaScript polyglot. */
  gifScriptPolyglot: () => Buffer.from('GIF89a/*\x00\x00\x00\x00*/=alert(document.cookie);<script>alert(1)</script>', 'latin1'),
};

export const dataUrl = (bytes: Uint8Array, mime = 'image/png'): string => `data:${mime};base64,${Buffer.from(bytes).toString('base64')}`;
