import { describe, expect, it } from 'vitest';
import { ChatClient } from './client.ts';
import { nextCursor } from './http.ts';
import type { MessageView } from './wire.ts';
import { aMessage } from '@chat/contracts/fixtures';

const message = (seq: number): MessageView => aMessage(seq, { user_id: 'u2', username: 'Other' });

/** A room of `total` messages (seq 1…total) served as the gateway pages it, with `X-Next-Before`. */
function pagedRoom(total: number) {
  const asked: string[] = [];
  const fetch = async (input: string): Promise<Response> => {
    const url = new URL(input);
    asked.push(`${url.pathname}${url.search}`);
    const limit = Number(url.searchParams.get('limit') ?? 50);
    const before = url.searchParams.has('before') ? Number(url.searchParams.get('before')) : total + 1;
    const all = Array.from({ length: before - 1 }, (_, i) => message(i + 1));
    const page = all.slice(Math.max(0, all.length - limit));
    const more = all.length > limit;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (more) headers['x-next-before'] = String(page[0]!.seq);
    return new Response(JSON.stringify(page), { status: 200, headers });
  };
  return { asked, client: new ChatClient({ baseUrl: 'http://gw.test', session: { userId: 'u1', token: 't' }, fetch }) };
}

describe('nextCursor', () => {
  it('reads X-Next-Before / X-Next-After; absent, empty or not a whole number is no next page', () => {
    expect(nextCursor(new Headers({ 'x-next-before': '42' }), 'before')).toBe(42);
    expect(nextCursor(new Headers({ 'x-next-after': '0' }), 'after')).toBe(0);
    expect(nextCursor(new Headers({ 'x-next-after': '7' }), 'before')).toBeUndefined();
    for (const raw of ['', ' ', 'abc', '-1', '1.5', '1e400']) expect(nextCursor(new Headers({ 'x-next-before': raw }), 'before'), raw).toBeUndefined();
    expect(nextCursor(undefined, 'before')).toBeUndefined();
  });
});

describe('HistoryPager', () => {
  it('follows X-Next-Before back to the first message, and knows it is done without asking for an empty page', async () => {
    const { client, asked } = pagedRoom(25);
    const pager = client.historyPager('r1', 10);
    const pages: number[][] = [];
    while (!pager.done) pages.push((await pager.older()).map((m) => m.seq));
    expect(pages).toEqual([
      [16, 17, 18, 19, 20, 21, 22, 23, 24, 25],
      [6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
      [1, 2, 3, 4, 5],
    ]);
    expect(asked).toEqual(['/rooms/r1/messages?limit=10', '/rooms/r1/messages?before=16&limit=10', '/rooms/r1/messages?before=6&limit=10']);
    expect(pager.newestSeq).toBe(25);
    expect(await pager.older()).toEqual([]);
  });

  it('a room of exactly one page is done after it (no next cursor), an empty room at once', async () => {
    const exact = pagedRoom(10).client.historyPager('r1', 10);
    expect(await exact.older()).toHaveLength(10);
    expect(exact.done).toBe(true);
    const empty = pagedRoom(0).client.historyPager('r1', 10);
    expect(await empty.older()).toEqual([]);
    expect(empty.done).toBe(true);
    expect(empty.newestSeq).toBeUndefined();
  });
});
