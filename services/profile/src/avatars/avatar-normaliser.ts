import { createHash } from 'node:crypto';
import { AVATAR_MAX_PIXELS, AVATAR_UPLOAD_MAX_BYTES, AppError, sniffImage } from '@chat/contracts';
import sharp from 'sharp';

// libvips' operation cache keeps recent results in memory; uploads never repeat an operation.
sharp.cache(false);
// One libvips thread per picture: fewer allocator arenas, so memory comes back after a decode.
sharp.concurrency(1);

export interface NormalisedAvatar {
  /** sha256 (hex) of `size256`: the same picture always gets the same key. */
  key: string;
  size256: Buffer;
  size64: Buffer;
}

const WEBP = { quality: 82, effort: 4 } as const;

/** How a decode waits its turn (see `AvatarPool`); the default runs it at once. */
export type Scheduler = <T>(pixels: number, task: () => Promise<T>) => Promise<T>;
const now: Scheduler = (_pixels, task) => task();

/**
 * Checks and normalises an uploaded avatar: recognised by its bytes (PNG, JPEG, WebP, GIF: first
 * frame only), refused past 1 MiB or 40 megapixels, turned upright, cropped to the centre square,
 * and re-encoded as 256 px and 64 px WebP. Only pixels survive: the output is encoded from raw
 * pixels, so no EXIF (GPS), XMP, ICC or comment of the upload can reach a viewer, nor any bytes
 * of it that were also something else.
 */
export async function normaliseAvatar(bytes: Uint8Array, schedule: Scheduler = now): Promise<NormalisedAvatar> {
  if (bytes.length > AVATAR_UPLOAD_MAX_BYTES) throw new AppError('payload_too_large', `the image is larger than ${AVATAR_UPLOAD_MAX_BYTES} bytes`);
  const type = sniffImage(bytes);
  const input = { limitInputPixels: AVATAR_MAX_PIXELS, failOn: 'error', pages: 1, animated: false } as const;
  const meta = await sharp(bytes, input)
    .metadata()
    .catch((err: unknown) => {
      throw decodeError(err);
    });
  // Both must agree: a file whose bytes start like one format but decode as another is refused.
  if (meta.format !== type) throw new AppError('unsupported_media_type', `the image is not the ${type.toUpperCase()} it starts as`);
  if (!meta.width || !meta.height) throw new AppError('unsupported_media_type', 'the image has no size');
  if (meta.width * meta.height > AVATAR_MAX_PIXELS) throw tooManyPixels();
  // Reading the header costs next to nothing; the decode waits for a slot of its size.
  return schedule(meta.width * meta.height, async () => {
    try {
      const { data, info } = await sharp(bytes, input)
        .autoOrient()
        .resize(256, 256, { fit: 'cover', position: 'centre' })
        .toColourspace('srgb')
        .raw()
        .toBuffer({ resolveWithObject: true });
      const raw = { raw: { width: info.width, height: info.height, channels: info.channels } } as const;
      const [size256, size64] = await Promise.all([sharp(data, raw).webp(WEBP).toBuffer(), sharp(data, raw).resize(64, 64).webp(WEBP).toBuffer()]);
      return { key: createHash('sha256').update(size256).digest('hex'), size256, size64 };
    } catch (err) {
      throw decodeError(err);
    }
  });
}

const tooManyPixels = () => new AppError('payload_too_large', `the image is larger than ${AVATAR_MAX_PIXELS / 1_000_000} megapixels`);

function decodeError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (/pixel limit/i.test(String((err as Error)?.message))) return tooManyPixels();
  // Truncated, corrupt or otherwise undecodable: the bytes are not an image we can show.
  return new AppError('unsupported_media_type', 'the image cannot be decoded');
}
