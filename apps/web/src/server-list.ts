import type { Connection } from '@chat/client';

const MAX_PAGES = 10;
const POLL_REFRESH_MS = 30_000;

/** Every page of a list paged by `before` (the first `maxPages` of them), in the server's order. */
export async function allPages<T>(
  page: (before: number | undefined) => Promise<{ items: T[]; nextBefore?: number | undefined }>,
  maxPages = MAX_PAGES,
): Promise<T[]> {
  const all: T[] = [];
  let before: number | undefined;
  for (let i = 0; i < maxPages; i++) {
    const { items, nextBefore } = await page(before);
    all.push(...items);
    if (nextBefore === undefined) break;
    before = nextBefore;
  }
  return all;
}

/**
 * Keeps a list loaded from the server current where the connection's inbox cannot: loads it again
 * each time the connection is back (inbox frames are not replayed), and now and then while it
 * long-polls (which carries no inbox). Returns what stops it.
 */
export function reloadWhenUnseen(connection: Connection, isLoaded: () => boolean, load: () => Promise<void>): () => void {
  const off = connection.on('state', ({ state }) => {
    if (state === 'connected' && isLoaded()) void load().catch(() => undefined);
  });
  const poll = setInterval(() => {
    if (connection.transportKind === 'poll') void load().catch(() => undefined);
  }, POLL_REFRESH_MS);
  return () => {
    off();
    clearInterval(poll);
  };
}
