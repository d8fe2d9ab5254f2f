import { AppError } from './errors.ts';

/** The largest avatar upload accepted, as sent (raw body, multipart file part or decoded data: URL). */
export const AVATAR_UPLOAD_MAX_BYTES = 1024 * 1024;
/** Decoded size limit: a small file that declares a huge image is refused before it is decoded. */
export const AVATAR_MAX_PIXELS = 40_000_000;

export type ImageType = 'png' | 'jpeg' | 'webp' | 'gif';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ascii = (bytes: Uint8Array, from: number, to: number): string => String.fromCharCode(...bytes.subarray(from, to));
const startsWith = (bytes: Uint8Array, prefix: number[]): boolean => prefix.every((b, i) => bytes[i] === b);

// Markup a browser would render or run. Looked for only where content sniffing looks (the start)
// and, for `<script`, everywhere: long enough never to occur by chance in compressed pixels.
const MARKUP_AT_START = /<(?:!doctype|html|head|body|script|svg[\s>/]|iframe|object|embed|img[\s>/]|\?xml-stylesheet)/i;
const SCRIPT_ANYWHERE = /<script/i;
const SNIFF_WINDOW = 1024;

const unsupported = (message: string) => new AppError('unsupported_media_type', message);

/**
 * What an upload is, from its bytes alone (a `Content-Type` or data: URL label proves nothing):
 * PNG, JPEG, WebP or GIF, and nothing that is also something else. SVG, HTML, text and unknown
 * formats are refused with 415, and so are files that carry markup (HTML/image polyglots) or, for
 * the formats whose framing says where they end (PNG, WebP), that are cut short or have bytes
 * appended. Decoding is the image library's job; this runs before it sees anything.
 */
export function sniffImage(bytes: Uint8Array): ImageType {
  if (bytes.length === 0) throw new AppError('bad_request', 'the image is empty');
  const type = magicType(bytes);
  if (!type) throw unsupported('not a PNG, JPEG, WebP or GIF image');
  const head = ascii(bytes, 0, Math.min(bytes.length, SNIFF_WINDOW));
  if (MARKUP_AT_START.test(head) || SCRIPT_ANYWHERE.test(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1'))) {
    throw unsupported('the image carries markup');
  }
  if (type === 'png') checkPngFraming(bytes);
  if (type === 'webp') checkWebpFraming(bytes);
  return type;
}

export function magicType(bytes: Uint8Array): ImageType | null {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) return 'gif';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  return null;
}

/** Walks the chunks: IHDR first, each chunk whole, and nothing after IEND. */
function checkPngFraming(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = PNG_SIGNATURE.length;
  let first = true;
  for (;;) {
    if (at + 12 > bytes.length) throw unsupported('the PNG is truncated');
    const length = view.getUint32(at);
    const type = ascii(bytes, at + 4, at + 8);
    if (first && (type !== 'IHDR' || length !== 13)) throw unsupported('the PNG does not start with its header');
    first = false;
    const end = at + 12 + length;
    if (length > 0x7fffffff || end > bytes.length) throw unsupported('the PNG is truncated');
    at = end;
    if (type === 'IEND') break;
  }
  if (at !== bytes.length) throw unsupported('the PNG has data after its end');
}

/** A RIFF container says how long it is: it must be exactly that long. */
function checkWebpFraming(bytes: Uint8Array): void {
  const declared = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true) + 8;
  if (declared > bytes.length) throw unsupported('the WebP is truncated');
  if (declared < bytes.length) throw unsupported('the WebP has data after its end');
}
