import { AppError } from '@chat/contracts';
import { loadUws } from './uws.ts';

/** Room for a multipart body's framing (boundaries, part headers) on top of the file itself. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
const FILE_FIELDS = new Set(['avatar', 'file']);

export interface FilePart {
  name: string | undefined;
  filename: string | undefined;
  data: Buffer;
}

const bad = (message: string) => new AppError('bad_request', `malformed multipart body: ${message}`);

/** `multipart/form-data` (case-insensitive), as a browser's `FormData` upload sends it. */
export const isMultipart = (contentType: string): boolean => /^\s*multipart\/form-data\s*(;|$)/i.test(contentType);

/**
 * The boundary from a `multipart/form-data` Content-Type: a token or quoted string of 1-70
 * characters (RFC 2046), anywhere among the parameters.
 */
export function boundaryOf(contentType: string): string {
  const params = parseParams(contentType.slice(contentType.indexOf(';') + 1));
  const boundary = params.get('boundary');
  if (!boundary) throw bad('no boundary in Content-Type');
  if (boundary.length > 70 || !/^[0-9A-Za-z'()+_,\-./:=? ]*[0-9A-Za-z'()+_,\-./:=?]$/.test(boundary)) throw bad('invalid boundary');
  return boundary;
}

/**
 * The uploaded file of a `multipart/form-data` body, as a browser sends it: the first part with a
 * filename, or named `avatar` or `file`. Parsed by uWebSockets.js's own `getParts`; a part that no
 * delimiter ends (a body cut short) is not a part, so such a form has no file.
 */
export function parseMultipartFile(body: Buffer, contentType: string, maxFileBytes: number): FilePart {
  // getParts reads an unquoted boundary only: the boundary, checked, is handed over bare.
  const boundary = boundaryOf(contentType);
  if (/\s/.test(boundary)) throw bad('a boundary with spaces is not supported');
  const parts = loadUws().getParts(body, `multipart/form-data; boundary=${boundary}`);
  if (!parts) throw bad('not a multipart body');
  const file = parts.find((p) => p.filename !== undefined) ?? parts.find((p) => FILE_FIELDS.has(p.name));
  if (!file) throw new AppError('bad_request', 'the form has no file: send it as a part named "avatar" or "file"');
  if (file.data.byteLength > maxFileBytes) throw new AppError('payload_too_large', `the image is larger than ${maxFileBytes} bytes`);
  return { name: file.name, filename: file.filename, data: Buffer.from(file.data) };
}

/** `; key=value; key="quoted \"value\""` → lower-cased keys and unquoted values. */
function parseParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  const param = /\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))\s*(?:;|$)/gy;
  while (param.lastIndex < text.length) {
    const match = param.exec(text);
    if (match === null) break;
    const key = match[1]!.toLowerCase();
    const value = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!.trim();
    if (!params.has(key)) params.set(key, value);
  }
  return params;
}
