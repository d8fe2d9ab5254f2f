import { AppError } from '@chat/contracts';

/** Room for a multipart body's framing (boundaries, part headers) on top of the file itself. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
const PART_HEADERS_MAX = 8 * 1024;
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
 * filename, or named `avatar` or `file`. Only what is needed of RFC 7578 is read, strictly:
 * parts are found by their delimiter lines, every part must have form-data headers, and a file
 * that no delimiter follows is refused (the body was cut short). The file is a view into `body`.
 */
export function parseMultipartFile(body: Buffer, contentType: string, maxFileBytes: number): FilePart {
  const delimiter = Buffer.from(`--${boundaryOf(contentType)}`);
  const nextDelimiter = Buffer.concat([Buffer.from('\r\n'), delimiter]);
  // The first delimiter starts the body or a line (anything before it is preamble).
  let at = body.subarray(0, delimiter.length).equals(delimiter) ? 0 : indexOrThrow(body, nextDelimiter, 0, 'no parts') + 2;
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString('latin1') === '--')
      throw new AppError('bad_request', 'the form has no file: send it as a part named "avatar" or "file"');
    at = skipLineEnd(body, at);
    if (body[at] === 0x0d && body[at + 1] === 0x0a) throw bad('a part has no headers');
    const headersEnd = body.indexOf('\r\n\r\n', at, 'latin1');
    if (headersEnd < 0 || headersEnd - at > PART_HEADERS_MAX) throw bad('part headers are missing or too long');
    const headers = parsePartHeaders(body.subarray(at, headersEnd).toString('utf8'));
    const dataStart = headersEnd + 4;
    const dataEnd = indexOrThrow(body, nextDelimiter, dataStart, 'a part is not terminated');
    const disposition = parseDisposition(headers.get('content-disposition'));
    if (disposition.filename !== undefined || (disposition.name !== undefined && FILE_FIELDS.has(disposition.name))) {
      if (dataEnd - dataStart > maxFileBytes) throw new AppError('payload_too_large', `the image is larger than ${maxFileBytes} bytes`);
      return { ...disposition, data: body.subarray(dataStart, dataEnd) };
    }
    at = dataEnd + 2;
  }
}

function indexOrThrow(body: Buffer, needle: Buffer, from: number, what: string): number {
  const i = body.indexOf(needle, from);
  if (i < 0) throw bad(what);
  return i;
}

/** After a delimiter: optional transport padding (spaces, tabs), then CRLF. */
function skipLineEnd(body: Buffer, at: number): number {
  let i = at;
  while (body[i] === 0x20 || body[i] === 0x09) i++;
  if (body[i] !== 0x0d || body[i + 1] !== 0x0a) throw bad('a delimiter is not followed by a line break');
  return i + 2;
}

function parsePartHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw bad('a part header has no name');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function parseDisposition(value: string | undefined): { name: string | undefined; filename: string | undefined } {
  if (!value || !/^\s*form-data\s*(;|$)/i.test(value)) throw bad('a part is not form-data');
  const params = parseParams(value.slice(value.indexOf(';') + 1));
  return { name: params.get('name'), filename: params.get('filename') ?? params.get('filename*') };
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
