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

/**
 * Loads of a list kept from the server, one at a time, that lose nothing the connection said
 * meanwhile: an ask made while a load runs is answered by a load that starts after it (any number
 * of asks share that one), and every live change that arrived during a load is applied again over
 * its answer, which the server may have given before the change.
 */
export class ListLoads<L> {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private during: ((list: L) => L)[] | null = null;

  constructor(
    private readonly fetch: () => Promise<L>,
    private readonly apply: (list: L) => void,
  ) {}

  /** A live change, applied by the caller now: kept to be applied again over a load running now. */
  live(change: (list: L) => L): void {
    this.during?.push(change);
  }

  load(): Promise<void> {
    if (!this.running) return this.start();
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.start();
      });
    return this.queued;
  }

  private start(): Promise<void> {
    const changes: ((list: L) => L)[] = [];
    this.during = changes;
    const run = (async () => {
      try {
        const answer = await this.fetch();
        this.apply(changes.reduce<L>((list, change) => change(list), answer));
      } finally {
        if (this.during === changes) this.during = null;
        this.running = null;
      }
    })();
    this.running = run;
    return run;
  }
}
