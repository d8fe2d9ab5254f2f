// Text rules for what clients send. Stored events keep the rules they were written under (see
// events.ts), so an old event stays readable on a rebuild; these stricter ones apply at the edge
// (HTTP, WebSocket) and to every command, so nothing new carries what Postgres refuses (NUL) or
// what hides or reorders text on screen.

/** C0 and C1 control characters, except tab and line feed. NUL above all: Postgres refuses it in text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
export const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/**
 * What never belongs in a name (user or room): every control character (line breaks too), line
 * and paragraph separators, and the bidirectional overrides and isolates that make a name display
 * as something else ("evil\u202egnp.exe").
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
export const FORBIDDEN_IN_NAME = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Line breaks as one `\n`, whatever the client's platform sent. */
export const normaliseLineBreaks = (s: string): string => s.replace(/\r\n?/g, '\n');

export const hasControlCharacters = (s: string): boolean => CONTROL_IN_TEXT.test(s);

/** The most bytes (UTF-8) one reaction's emoji may take: room for the longest ZWJ sequences and flags. */
export const EMOJI_MAX_BYTES = 32;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
/** Pictographs, flags (regional indicators) and keycaps (`1️⃣`): what makes a grapheme an emoji. */
const EMOJI_PART = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u;
const NOT_IN_EMOJI = /[\p{White_Space}\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Why a string is not one emoji (one grapheme of at most `EMOJI_MAX_BYTES` bytes), or null when it is. */
export function emojiProblem(s: string): string | null {
  if (Buffer.byteLength(s, 'utf8') > EMOJI_MAX_BYTES) return `must be at most ${EMOJI_MAX_BYTES} bytes`;
  if ([...graphemes.segment(s)].length !== 1) return 'must be exactly one emoji';
  if (NOT_IN_EMOJI.test(s) || !EMOJI_PART.test(s)) return 'must be an emoji';
  return null;
}
