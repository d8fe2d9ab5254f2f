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
