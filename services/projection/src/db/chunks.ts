/** Rows per statement: each column travels as one array parameter, so this bounds a statement's size. */
export const CHUNK = 20_000;

/** The rows in runs of at most `CHUNK`, one statement each. */
export function* chunks<T>(rows: readonly T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += CHUNK) yield rows.slice(i, i + CHUNK);
}
