import type { MemberView, MessageView, RoomView } from '@chat/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpResult, TestUser } from './support/client.ts';
import { startStack, type Stack } from './support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ gatewayEnv: { ALLOWED_ORIGINS: 'https://app.example.com' } });
});
afterAll(async () => {
  await stack?.stop();
});

/** Follows `Link: <…>; rel="next"` from `first` until a page has none; every page's body. */
async function walk<T>(user: TestUser, first: string): Promise<{ pages: T[][]; links: string[] }> {
  const pages: T[][] = [];
  const links: string[] = [];
  let path: string | null = first;
  while (path) {
    const res: HttpResult<T[]> = await user.request<T[]>('GET', path);
    expect(res.status).toBe(200);
    pages.push(res.body);
    const link: string | null = res.headers.get('link');
    path = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1]! : null;
    if (path) links.push(path);
    expect(pages.length).toBeLessThan(50);
  }
  return { pages, links };
}

describe('paging everywhere, the bodies still bare arrays', () => {
  it('history: X-Next-Before while older messages exist, none on the last page; the Link walks every message once', async () => {
    const ann = await TestUser.register(stack, 'Ann');
    await ann.join('paged');
    for (let i = 0; i < 12; i++) expect((await ann.post('paged', `m${i}`)).status).toBe(201);
    const newest = await ann.history('paged', '?limit=5');
    expect(newest.body.map((m) => m.content)).toEqual(['m7', 'm8', 'm9', 'm10', 'm11']);
    expect(newest.headers.get('x-next-before')).toBe(String(newest.body[0]!.seq));
    const { pages } = await walk<MessageView>(ann, '/rooms/paged/messages?limit=5');
    const all = pages.flat().filter((m) => m.type === 'text');
    expect(all.map((m) => m.content).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`).sort());
    expect(new Set(pages.flat().map((m) => m.seq)).size).toBe(pages.flat().length);
    // 12 posts and Ann's join line: 13 entries, pages of 5, 5 and 3; the last names no next page.
    expect(pages.map((p) => p.length)).toEqual([5, 5, 3]);
    const last = await ann.history('paged', `?limit=5&before=${pages[2]![0]!.seq}`);
    expect(last.body).toEqual([]);
    expect(last.headers.get('x-next-before')).toBeNull();
  });

  it('history forwards: X-Next-After until the newest message', async () => {
    const bob = await TestUser.register(stack, 'Bob');
    await bob.join('forward');
    for (let i = 0; i < 6; i++) await bob.post('forward', `f${i}`);
    const first = await bob.history('forward', '?after=0&limit=4');
    expect(first.body).toHaveLength(4);
    const next = first.headers.get('x-next-after');
    expect(next).toBe(String(first.body[3]!.seq));
    const rest = await bob.history('forward', `?after=${next}&limit=4`);
    expect(rest.body.map((m) => m.content)).toEqual(['f3', 'f4', 'f5']);
    expect(rest.headers.get('x-next-after')).toBeNull();
  });

  it('an exactly full last page names no next page', async () => {
    const cid = await TestUser.register(stack, 'Cid');
    await cid.join('exact');
    for (let i = 0; i < 3; i++) await cid.post('exact', `e${i}`);
    const page = await cid.history('exact', '?limit=4');
    expect(page.body).toHaveLength(4);
    expect(page.headers.get('x-next-before')).toBeNull();
    expect(page.headers.get('link')).toBeNull();
  });

  it('rooms: limit honoured, X-Next-Before pages through every room once, newest activity first', async () => {
    const dee = await TestUser.register(stack, 'Dee');
    for (let i = 0; i < 5; i++) await dee.join(`list${i}`);
    const two = await dee.request<RoomView[]>('GET', '/rooms?limit=2');
    expect(two.body).toHaveLength(2);
    expect(two.body[0]!.last_seq).toBeGreaterThan(two.body[1]!.last_seq);
    expect(two.headers.get('x-next-before')).toBe(String(two.body[1]!.last_seq));
    const { pages } = await walk<RoomView>(dee, '/rooms?limit=2');
    const ids = pages.flat().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 0; i < 5; i++) expect(ids).toContain(`list${i}`);
  });

  it('members: pages of `limit`, oldest first, every member once', async () => {
    const users = await Promise.all(Array.from({ length: 5 }, (_, i) => TestUser.register(stack, `M${i}`)));
    for (const u of users) await u.join('crowd');
    const first = await users[0]!.request<MemberView[]>('GET', '/rooms/crowd/members?limit=2');
    expect(first.body.map((m) => m.user_id)).toEqual([users[0]!.id, users[1]!.id]);
    const { pages } = await walk<MemberView>(users[0]!, '/rooms/crowd/members?limit=2');
    expect(pages.flat().map((m) => m.user_id)).toEqual(users.map((u) => u.id));
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
  });

  it('bad cursors and limits are 400s', async () => {
    const eve = await TestUser.register(stack, 'Eve');
    await eve.join('bad-cursors');
    for (const path of [
      '/rooms?limit=0',
      '/rooms?limit=501',
      '/rooms?before=-1',
      '/rooms?before=abc',
      '/rooms/bad-cursors/members?after=nope',
      '/rooms/bad-cursors/members?after=1:a.b',
      '/rooms/bad-cursors/members?limit=501',
      '/rooms/bad-cursors/messages?before=1.5',
      '/rooms/bad-cursors/messages?limit=101',
    ]) {
      const res = await eve.request('GET', path);
      expect(res.status, path).toBe(400);
    }
    // The largest cursors are fine: nothing before 0, nothing after the end.
    expect((await eve.history('bad-cursors', '?before=0')).body).toEqual([]);
    expect((await eve.history('bad-cursors', `?after=${Number.MAX_SAFE_INTEGER}`)).body).toEqual([]);
  });

  it('a browser on an allowed origin may read the paging headers (Access-Control-Expose-Headers)', async () => {
    const fay = await TestUser.register(stack, 'Fay');
    const res = await fay.request('GET', '/rooms?limit=1', undefined, { origin: 'https://app.example.com' });
    const exposed = (res.headers.get('access-control-expose-headers') ?? '').split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['x-next-before', 'x-next-after', 'link']));
  });
});
