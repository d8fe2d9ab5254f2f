import type { ChatClient } from './client.ts';
import type { MessageView } from './wire.ts';

/**
 * A room's history a page at a time, going back: the newest page first, then each page before
 * it. Each page is oldest first, as the API answers. The cursor of the next page is the one the
 * API names (`X-Next-Before`), so the pager knows it is done without asking for an empty page.
 */
export class HistoryPager {
  private next: number | undefined;
  private newest: number | undefined;
  private started = false;
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
    const params = this.started ? { before: this.next, limit: this.pageSize } : { limit: this.pageSize };
    const page = await this.client.historyPage(this.roomId, params, { signal });
    this.started = true;
    const messages = page.messages;
    if (messages.length > 0) this.newest = Math.max(this.newest ?? 0, messages.at(-1)!.seq);
    const oldest = messages[0]?.seq;
    // The API names the next page while one exists; a cursor that does not go back would loop.
    this.next = page.nextBefore !== undefined && (oldest === undefined || page.nextBefore <= oldest) ? page.nextBefore : undefined;
    if (this.next === undefined || messages.length === 0) this.done = true;
    return messages;
  }
}
