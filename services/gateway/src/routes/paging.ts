/**
 * Paging without changing the shape of a list: the bodies stay bare arrays (the seed's clients
 * read them as such), and where another page exists the answer says where it starts, in
 * `X-Next-Before` or `X-Next-After`, and as a `Link: <…>; rel="next"` to fetch it. Each list is
 * asked for one item more than the page holds, so the cursor is given only when more exists.
 */

export type Direction = 'before' | 'after';

/** How a paged route's 200 describes its headers (OpenAPI). */
export const pageHeaders = (direction: Direction): Record<string, string> => ({
  [`X-Next-${direction === 'before' ? 'Before' : 'After'}`]: `the \`${direction}\` of the next page; absent on the last page`,
  Link: 'the next page, `<url>; rel="next"`; absent on the last page',
});

export interface Page<T> {
  items: T[];
  headers: Record<string, string>;
}

/**
 * Cuts what the read side answered (`limit + 1` items at most) to one page. `extra` says which end
 * the surplus item is at: `first` for a newest-first-asked page returned oldest first (history),
 * `last` otherwise. `cursorOf` turns the page's last-read item into the next page's cursor.
 */
export function pageOf<T>(
  rows: T[],
  o: { limit: number; direction: Direction; extra: 'first' | 'last'; path: string; query?: Record<string, string>; cursorOf: (edge: T) => string | number },
): Page<T> {
  if (rows.length <= o.limit) return { items: rows, headers: {} };
  const items = o.extra === 'first' ? rows.slice(rows.length - o.limit) : rows.slice(0, o.limit);
  const edge = o.extra === 'first' ? items[0]! : items[items.length - 1]!;
  const cursor = String(o.cursorOf(edge));
  const next = new URLSearchParams({ ...o.query, [o.direction]: cursor, limit: String(o.limit) });
  return {
    items,
    headers: { [`x-next-${o.direction}`]: cursor, link: `<${o.path}?${next}>; rel="next"` },
  };
}

/** A page of rooms, newest activity first: the next one starts before the last room's activity. */
export function roomsPage<T extends { last_seq: number }>(rows: T[], limit: number, path: string): { body: T[]; headers: Record<string, string> } {
  const { items, headers } = pageOf(rows, { limit, direction: 'before', extra: 'last', path, cursorOf: (r) => r.last_seq });
  return { body: items, headers };
}
