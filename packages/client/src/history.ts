import type { ChatClient } from './client.ts';
import type { MessageView } from './wire.ts';

/**
 * A room's history a page at a time, going back: the newest page first, then each page before
 * the oldest message seen. Each page is oldest first, as the API answers.
 */
export class HistoryPager {
  private oldest: number | undefined;
  private newest: number | undefined;
  done = false;

  constructor(
    private readonly client: ChatClient,
    readonly roomId: string,
    readonly pageSize = 50,
  ) {}

  /** The seq of the newest message paged in: a subscription's `since`, so nothing falls between. */
  get newestSeq(): number | undefined {
    return this.newest;
  }

  /** The next page back; empty once `done`. */
  async older(signal?: AbortSignal): Promise<MessageView[]> {
    if (this.done) return [];
    const params = this.oldest === undefined ? { limit: this.pageSize } : { before: this.oldest, limit: this.pageSize };
    const page = await this.client.history(this.roomId, params, { signal });
    if (page.length > 0) {
      this.oldest = Math.min(this.oldest ?? Number.POSITIVE_INFINITY, page[0]!.seq);
      this.newest = Math.max(this.newest ?? 0, page.at(-1)!.seq);
    }
    if (page.length < this.pageSize || this.oldest === 0) this.done = true;
    return page;
  }
}
