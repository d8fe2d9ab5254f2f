/**
 * The avatar of a user who has none: their initials on a colour taken from their id, so it is
 * the same everywhere, needs no third party and never changes unless the name does.
 */
export function defaultAvatarSvg(userId: string, username: string): string {
  const hue = hash(userId) % 360;
  const text = escapeXml(initials(username));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256" role="img" aria-label="${escapeXml(username)}">` +
    `<rect width="256" height="256" fill="hsl(${hue},55%,42%)"/>` +
    `<text x="50%" y="50%" dy=".35em" text-anchor="middle" font-family="system-ui,sans-serif" font-size="104" fill="#fff">${text}</text>` +
    `</svg>`
  );
}

export function initials(username: string): string {
  const words = username.trim().split(/\s+/u).filter(Boolean);
  const first = (word: string | undefined) => (word ? (Array.from(word)[0] ?? '') : '');
  const letters = words.length > 1 ? first(words[0]) + first(words[words.length - 1]) : first(words[0]);
  return letters.toUpperCase() || '?';
}

/** FNV-1a: small, stable across processes and versions. */
function hash(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export const escapeXml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
