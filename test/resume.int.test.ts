import { headers, jetstream, nuid } from '@chat/bus';
import { eventually } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/stack.ts';
import { TestUser, http } from './support/client.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('resume', () => {
  it('a client that dropped sees all 600 messages exactly once, in order: 500 missed, 100 during its replay', async () => {
    const [reader, writer] = await TestUser.registerAll(stack, ['Reader', 'Writer']);
    await reader.join('busy');
    await writer.join('busy');
    const first = await reader.connect('busy');
    await first.ready();
    const cursor = first.cursor();
    first.close();

    await stack.postDirect(writer.id, 'busy', { count: 500, prefix: 'a' });
    const during = stack.postDirect(writer.id, 'busy', { count: 100, prefix: 'b', parallel: 2 });
    const second = await reader.connect('busy', { since: String(cursor) });
    await during;
    await second.until(() => second.messages().filter((m) => m.type === 'text').length >= 600, '600 messages', 30_000);
    await writer.post('busy', 'last');
    await second.until(() => second.messages().some((m) => m.content === 'last'), 'the live one after');

    const texts = second.messages().filter((m) => m.type === 'text' && m.content !== 'last');
    expect(texts).toHaveLength(600);
    expect(new Set(texts.map((m) => m.id)).size).toBe(600);
    const seqs = second.messages().map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(texts.map((m) => m.content))).toEqual(
      new Set([...Array.from({ length: 500 }, (_, i) => `a${i}`), ...Array.from({ length: 100 }, (_, i) => `b${i}`)]),
    );
    expect(seqs.every((seq) => seq > cursor)).toBe(true);
    // `ready` says where the replay ended: everything before it is at or below its cursor, and
    // everything after it is newer.
    const readyAt = second.frames.findIndex((f) => f.type === 'ready');
    const readyCursor = (second.frames[readyAt] as { cursor: number }).cursor;
    const seqOf = (f: (typeof second.frames)[number]) => (f.type === 'message' ? f.message.seq : undefined);
    const beforeReady = second.frames
      .slice(0, readyAt)
      .map(seqOf)
      .filter((x): x is number => x !== undefined);
    const afterReady = second.frames
      .slice(readyAt + 1)
      .map(seqOf)
      .filter((x): x is number => x !== undefined);
    expect(beforeReady.length).toBeGreaterThanOrEqual(500);
    expect(Math.max(...beforeReady)).toBe(readyCursor);
    expect(afterReady.every((seq) => seq > readyCursor)).toBe(true);
    second.close();
  });

  it('a resume brings the profile changes made while away, from memory and from history', async () => {
    const [ann, bob, carl] = await TestUser.registerAll(stack, ['Away', 'Renamer', 'Chatty']);
    for (const room of ['profile-near', 'profile-far']) for (const u of [ann, bob, carl]) await u.join(room);
    const cursors: Record<string, number> = {};
    for (const room of ['profile-near', 'profile-far']) cursors[room] = (await bob.post(room, 'hi')).body.seq;
    // No socket follows either room here while Bob renames himself: only history knows.
    expect((await bob.request('PATCH', `/users/${bob.id}`, { username: 'Robert' })).status).toBe(200);
    // Enough after it in one room that its resume reads history pages, not the latest entries.
    await stack.postDirect(carl.id, 'profile-far', { count: 150, prefix: 'far' });
    for (const room of ['profile-near', 'profile-far']) {
      const s = await ann.connect(room, { since: String(cursors[room]) });
      await s.ready();
      // Before, Ann's copy of "hi" kept Bob's old name: nothing told her of the change.
      expect(s.frames.filter((f) => f.type === 'profile_updated').map((f) => (f as { user: { id: string; username: string } }).user)).toMatchObject([
        { id: bob.id, username: 'Robert' },
      ]);
      s.close();
    }
  });

  it('resumes from any point in history, also with a resume frame on an open socket', async () => {
    const u = await TestUser.register(stack, 'Historian');
    await u.join('archive');
    for (let i = 0; i < 5; i++) await u.post('archive', `h${i}`);
    const socket = await u.connect('archive', { since: '0' });
    await socket.ready();
    expect(
      socket
        .messages()
        .filter((m) => m.type === 'text')
        .map((m) => m.content),
    ).toEqual(['h0', 'h1', 'h2', 'h3', 'h4']);
    const third = socket.messages().find((m) => m.content === 'h2')!;
    socket.frames.length = 0;
    socket.send({ type: 'resume', since: third.seq });
    await socket.ready();
    expect(socket.messages().map((m) => m.content)).toEqual(['h3', 'h4']);
    socket.close();
  });
});

describe('long-poll', () => {
  it('answers at once when newer messages exist, else waits for the next, else times out empty', async () => {
    const u = await TestUser.register(stack, 'Poller');
    await u.join('polling');
    const first = await u.post('polling', 'one');
    const auth = { authorization: `Bearer ${u.token}` };
    const immediate = await http(stack, 'GET', `/rooms/polling/messages?after=${first.body.seq - 1}&wait=25`, undefined, auth);
    expect(immediate.body.map((m: { content: string }) => m.content)).toEqual(['one']);

    const started = Date.now();
    const waiting = http(stack, 'GET', `/rooms/polling/messages?after=${first.body.seq}&wait=25`, undefined, auth);
    await new Promise((r) => setTimeout(r, 300));
    await u.post('polling', 'two');
    const woke = await waiting;
    expect(woke.body.map((m: { content: string }) => m.content)).toEqual(['two']);
    expect(Date.now() - started).toBeLessThan(20_000);

    const last = woke.body[0].seq;
    const empty = await http(stack, 'GET', `/rooms/polling/messages?after=${last}&wait=1`, undefined, auth);
    expect(empty).toMatchObject({ status: 200, body: [] });
    expect((await http(stack, 'GET', `/rooms/polling/messages?after=${last}&wait=31`, undefined, auth)).status).toBe(400);
    expect((await http(stack, 'GET', '/rooms/polling/messages?wait=5', undefined, auth)).status).toBe(400);
  });

  it('GET /rooms/{id}/changes: what a resume replays, by long-poll: an edit of an older message wakes it', async () => {
    const u = await TestUser.register(stack, 'ChangePoller');
    await u.join('changing');
    const old = await u.post('changing', 'first draft');
    const cursor = (await u.post('changing', 'later')).body.seq;
    const auth = { authorization: `Bearer ${u.token}` };
    const waiting = http(stack, 'GET', `/rooms/changing/changes?since=${cursor}&wait=25`, undefined, auth);
    await new Promise((r) => setTimeout(r, 300));
    expect((await u.request('PATCH', `/rooms/changing/messages/${old.body.id}`, { content: 'final' })).status).toBe(200);
    const woke = await waiting;
    expect(woke.status).toBe(200);
    expect(woke.body).toMatchObject([{ type: 'message_updated', message: { id: old.body.id, content: 'final' } }]);
    expect(woke.body[0].seq).toBeGreaterThan(cursor);
    // Nothing after it: an empty answer once the wait is over.
    expect(await http(stack, 'GET', `/rooms/changing/changes?since=${woke.body[0].seq}&wait=1`, undefined, auth)).toMatchObject({ status: 200, body: [] });
    expect((await http(stack, 'GET', '/rooms/changing/changes', undefined, auth)).status).toBe(400);
  });

  it('a long-poll past an event the read models will never show (sent to the dead letters) waits for the next change, not answering empty at once', async () => {
    const u = await TestUser.register(stack, 'DeadEndPoller');
    await u.join('dead-end');
    const cursor = (await u.post('dead-end', 'before')).body.seq;
    // A socket holds the room here: the gateway's latest events of it include what comes next.
    const socket = await u.connect('dead-end');
    await socket.ready();
    const poison = {
      id: nuid.next(),
      type: 'MessagePosted',
      version: 1,
      occurred_at: new Date().toISOString(),
      data: { room_id: 'dead-end', message_id: `m_${nuid.next()}`, user_id: u.id, content: 'nul\u0000byte', client_msg_id: null },
      meta: { correlation_id: 'dead-end-test', causation_id: null, actor: u.id },
    };
    const h = headers();
    h.set('Chat-Event-Type', 'MessagePosted');
    const { seq } = await jetstream(stack.nc).publish(stack.s.events.messages('dead-end'), JSON.stringify(poison), { headers: h });
    await socket.until(() => socket.messages().some((m) => m.seq === seq), 'the event live');
    await eventually(async () => {
      const letters = (await (await fetch(`${stack.projectionOpsUrl}/admin/dead-letters`)).json()) as { dead_letters: { seq: number }[] };
      return letters.dead_letters.some((l) => l.seq === seq) ? true : undefined;
    }, 'the event in the dead letters');

    // Before, the wait saw the event among the room's latest and ended at once; the page could
    // not show it, so the poll answered [] at once, and a client polling again spun.
    const auth = { authorization: `Bearer ${u.token}` };
    const changes = http(stack, 'GET', `/rooms/dead-end/changes?since=${cursor}&wait=25`, undefined, auth);
    const messages = http(stack, 'GET', `/rooms/dead-end/messages?after=${cursor}&wait=25`, undefined, auth);
    await new Promise((r) => setTimeout(r, 500));
    await u.post('dead-end', 'after');
    const [woke, wokeMessages] = await Promise.all([changes, messages]);
    expect(woke.status).toBe(200);
    expect(woke.body.map((f: { type: string; message?: { content: string } }) => f.message?.content)).toEqual(['after']);
    expect(wokeMessages.body.map((m: { content: string }) => m.content)).toEqual(['after']);
    socket.close();
  });

  it('a member who long-polls counts as online while polling and just after (they re-poll at once), then goes offline', async () => {
    const [poller, watcher] = await TestUser.registerAll(stack, ['Polling member', 'Watching member']);
    await poller.join('poll-presence');
    await watcher.join('poll-presence');
    const socket = await watcher.connect('poll-presence');
    await socket.ready();
    const online = async () => (await watcher.request('GET', '/rooms/poll-presence/presence')).body.online as string[];
    expect(await online()).not.toContain(poller.id);

    const { seq } = (await watcher.post('poll-presence', 'hello')).body;
    const polling = poller.request('GET', `/rooms/poll-presence/messages?after=${seq}&wait=1`);
    await socket.until(() => socket.frames.some((f) => f.type === 'presence' && f.joined?.includes(poller.id)), 'the poller joining presence');
    expect(await online()).toContain(poller.id);
    expect((await polling).body).toEqual([]);
    // Between one poll and the next the poller stays online: no flapping.
    expect(await online()).toContain(poller.id);
    await socket.until(() => socket.frames.some((f) => f.type === 'presence' && f.left?.includes(poller.id)), 'the poller leaving presence', 15_000);
    expect(await online()).not.toContain(poller.id);
  });
});
