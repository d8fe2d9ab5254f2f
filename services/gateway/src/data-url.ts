import { AVATAR_UPLOAD_MAX_BYTES, AppError } from '@chat/contracts';

export const isDataUrl = (value: string): boolean => /^data:/i.test(value);

/**
 * The bytes of a `data:image/…;base64,` URL, as old frontends send an avatar they drew or cropped.
 * The label proves nothing (the bytes are checked like any upload); it only has to claim an image
 * and base64. Past 1 MiB decoded it is a 413, found from the length before anything is decoded.
 */
export function decodeDataUrl(value: string, maxBytes = AVATAR_UPLOAD_MAX_BYTES): Buffer {
  const comma = value.indexOf(',');
  const header = comma < 0 ? '' : value.slice(5, comma);
  const [mediaType = '', ...params] = header.split(';').map((p) => p.trim().toLowerCase());
  if (!/^data:/i.test(value) || comma < 0) throw new AppError('bad_request', 'avatar_url is not a data: URL');
  if (!/^image\/[a-z0-9.+-]+$/.test(mediaType)) throw new AppError('unsupported_media_type', 'a data: avatar must be an image');
  if (params[params.length - 1] !== 'base64') throw new AppError('unsupported_media_type', 'a data: avatar must be base64 (data:image/…;base64,…)');
  const payload = value.slice(comma + 1).replace(/\s+/g, '');
  const alphabet = /^[A-Za-z0-9+/]*={0,2}$/.test(payload) || /^[A-Za-z0-9_-]*={0,2}$/.test(payload);
  if (!alphabet || payload.length % 4 === 1) {
    throw new AppError('bad_request', 'the data: avatar is not valid base64');
  }
  const padding = payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0;
  const decodedLength = Math.floor((payload.length * 3) / 4) - padding;
  if (decodedLength > maxBytes) throw new AppError('payload_too_large', `the image is larger than ${maxBytes} bytes`);
  if (decodedLength <= 0) throw new AppError('bad_request', 'the data: avatar is empty');
  return Buffer.from(payload, 'base64');
}
