/**
 * A `client_msg_id`: 22 characters of A-Z a-z 0-9 _ - (128 random bits), valid for the API's id
 * rule. `crypto.getRandomValues`, unlike `randomUUID`, also exists on pages that are not a secure
 * context (a phone opening the app over the LAN by IP).
 */
export function newClientMsgId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let id = '';
  let bits = 0;
  let acc = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      id += alphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) id += alphabet[(acc << (6 - bits)) & 63];
  return id;
}
