/**
 * Finds web links in a message's text. Only `http:` and `https:` become links (never
 * `javascript:`, `data:` or anything else), and the caller makes each one an element with the
 * URL as its `href` and the text as text: no user text is ever parsed as HTML.
 */
export type TextPart = { text: string } | { text: string; href: string };

const CANDIDATE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
/** Punctuation that ends a sentence rather than the URL ("see https://x.org/a."). */
const TRAILING = /[.,;:!?'")\]}>]+$/;

export function linkParts(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    let raw = match[0];
    const trail = TRAILING.exec(raw);
    if (trail) {
      // A closing bracket that closes one opened inside the URL stays (Wikipedia's "Foo_(bar)").
      let cut = trail[0];
      while (cut.startsWith(')') && count(raw.slice(0, raw.length - cut.length), '(') > count(raw.slice(0, raw.length - cut.length), ')')) cut = cut.slice(1);
      raw = raw.slice(0, raw.length - cut.length);
    }
    const href = safeHref(raw);
    if (!href) continue;
    const start = match.index;
    if (start > last) parts.push({ text: text.slice(last, start) });
    parts.push({ text: raw, href });
    last = start + raw.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}

/** The URL as an `href` if it is a well-formed http(s) URL with a host; otherwise null. */
export function safeHref(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) return null;
  return url.href;
}

const count = (s: string, c: string) => s.split(c).length - 1;
