import { headers, jetstream, nuid } from '@chat/bus';
import type { MessageView, ServerFrame } from '@chat/contracts';
import { eventually } from '@chat/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestUser } from './support/client.ts';
import { type Stack, startStack } from './support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const texts = (frames: ServerFrame[]) => frames.flatMap((f) => (f.type === 'message' && f.message.type === 'text' ? [f.message] : []));

describe('the live path does not wait for Postgres', () => {
  it('with the writer stalled on a lock for 10 s, two sockets chat live, posts answer the whole message, and history is complete after', async () => {
    const [ann, bob] = await TestUser.registerAll(stack, ['Ann', 'Bob']);
    await ann.join('stalled');
    await bob.join('stalled');
    const [sa, sb] = await Promise.all([ann.connect('stalled'), bob.connect('stalled')]);
    await Promise.all([sa.ready(), sb.ready()]);

    const lock = new pg.Client({ connectionString: stack.env.databaseUrl });
    await lock.connect();
    // The writer may be applying the joins just made, holding these tables in the other order:
    // Postgres then picks one side of the deadlock to fail. Take the lock again until it is ours.
    await eventually(async () => {
      await lock.query('BEGIN');
      try {
        await lock.query('LOCK TABLE projection.messages, projection.rooms IN ACCESS EXCLUSIVE MODE');
        return true;
      } catch (err) {
        await lock.query('ROLLBACK');
        if ((err as { code?: string }).code === '40P01') return undefined;
        throw err;
      }
    }, 'the lock on the read models');
    const lockedAt = Date.now();
    let released = false;
    try {
      const replies: { status: number; body: MessageView }[] = [];
      for (let i = 0; i < 5; i++) {
        replies.push(await ann.post('stalled', `ann ${i}`, { client_msg_id: `ann-${i}` }));
        sb.send({ type: 'message', content: `bob ${i}`, client_msg_id: `bob-${i}` });
      }
      // The POST reply is the enriched message, with the writer stuck behind the lock.
      for (const r of replies) {
        expect(r.status).toBe(201);
        expect(r.body).toMatchObject({ username: 'Ann', user_id: ann.id, room_id: 'stalled', type: 'text' });
        expect(r.body.avatar).toBe(`/avatars/default/${ann.id}.svg`);
      }
      for (const s of [sa, sb]) await s.until((f) => texts(f).length >= 10, 'all ten live while the lock is held', 8000);
      expect(Date.now() - lockedAt).toBeLessThan(10_000);
      for (const s of [sa, sb]) {
        const got = texts(s.frames);
        expect(new Set(got.map((m) => m.content))).toEqual(new Set([...[0, 1, 2, 3, 4].map((i) => `ann ${i}`), ...[0, 1, 2, 3, 4].map((i) => `bob ${i}`)]));
        // Live frames carry the seq of their event, in order.
        const seqs = s.frames.flatMap((f) => (f.type === 'message' ? [f.seq] : []));
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      }
      // The projection cannot do its job meanwhile, and says so.
      await eventually(async () => ((await fetch(`${stack.projectionOpsUrl}/readyz`)).status === 503 ? true : undefined), 'projection not ready', 9000);
      await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - lockedAt))));
      await lock.query('COMMIT');
      released = true;
    } finally {
      if (!released) await lock.query('ROLLBACK').catch(() => undefined);
      await lock.end();
    }
    const history = await eventually(async () => {
      const res = await ann.history('stalled');
      return res.status === 200 && res.body.filter((m) => m.type === 'text').length === 10 ? res.body : undefined;
    }, 'history complete after the lock');
    expect(history.filter((m) => m.type === 'text').map((m) => m.content)).toEqual(texts(sa.frames).map((m) => m.content));
    await eventually(async () => ((await fetch(`${stack.projectionOpsUrl}/readyz`)).ok ? true : undefined), 'projection ready again');
    sa.close();
    sb.close();
  }, 60_000);

  it('a GET of history right after a POST shows the message', async () => {
    const u = await TestUser.register(stack, 'Eager');
    await u.join('ryw');
    for (let i = 0; i < 20; i++) {
      const posted = await u.post('ryw', `m${i}`);
      expect(posted.status).toBe(201);
      const history = await u.history('ryw', '?limit=5');
      expect(history.body.map((m) => m.id)).toContain(posted.body.id);
    }
  });
});

describe('resume delivers every change after the cursor', () => {
  it('an edit and a deletion of messages older than the cursor, each with its own seq', async () => {
    const u = await TestUser.register(stack, 'Editor');
    await u.join('edits');
    const old1 = (await u.post('edits', 'first version')).body;
    const old2 = (await u.post('edits', 'to be deleted')).body;
    const socket = await u.connect('edits');
    await socket.ready();
    const cursor = socket.cursor();
    socket.close();

    const edited = await u.request('PATCH', `/rooms/edits/messages/${old1.id}`, { content: 'second version' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ id: old1.id, content: 'second version', seq: old1.seq });
    expect(edited.body.edited_at).not.toBeNull();
    expect((await u.request('DELETE', `/rooms/edits/messages/${old2.id}`)).status).toBe(200);
    const newer = (await u.post('edits', 'new one')).body;

    // From the read models (a gateway that never held the room) and from memory (this one, which did).
    for (const resumed of [await u.connect('edits', { since: String(cursor) })]) {
      await resumed.until((f) => f.some((x) => x.type === 'ready'), 'ready after the replay');
      const updates = resumed.frames.filter((f): f is Extract<ServerFrame, { type: 'message_updated' }> => f.type === 'message_updated');
      expect(updates.map((f) => [f.message.id, f.message.content, f.message.deleted])).toEqual([
        [old1.id, 'second version', false],
        [old2.id, '', true],
      ]);
      for (const f of updates) expect(f.seq).toBeGreaterThan(cursor);
      expect(updates[0]!.seq).toBeLessThan(updates[1]!.seq);
      expect(texts(resumed.frames).map((m) => m.id)).toEqual([newer.id]);
      resumed.close();
    }
  });

  it('live message_updated frames carry the change seq, not the message seq', async () => {
    const u = await TestUser.register(stack, 'LiveEditor');
    await u.join('live-edits');
    const socket = await u.connect('live-edits');
    await socket.ready();
    const posted = (await u.post('live-edits', 'typo')).body;
    await u.request('PATCH', `/rooms/live-edits/messages/${posted.id}`, { content: 'fixed' });
    const frames = await socket.until((f) => f.some((x) => x.type === 'message_updated'), 'the update');
    const update = frames.find((f) => f.type === 'message_updated') as Extract<ServerFrame, { type: 'message_updated' }>;
    expect(update.message).toMatchObject({ id: posted.id, seq: posted.seq, content: 'fixed' });
    expect(update.seq).toBeGreaterThan(posted.seq);
    socket.close();
  });
});

describe('one bad event never stops the projection', () => {
  it('content with a NUL is refused at the edge, over REST and the socket', async () => {
    const u = await TestUser.register(stack, 'Nul');
    await u.join('nul-edge');
    for (const content of ['nul\u0000byte', 'bell\u0007', 'c1\u0085']) {
      const res = await u.post('nul-edge', content);
      expect(res.status).toBe(400);
      expect((res.body as unknown as { error: { code: string } }).error.code).toBe('validation_failed');
    }
    // Line breaks are normalised, tabs kept.
    expect((await u.post('nul-edge', 'two\r\nlines\tand a tab')).body.content).toBe('two\nlines\tand a tab');
    const socket = await u.connect('nul-edge');
    await socket.ready();
    socket.send({ type: 'message', content: 'nul\u0000byte' });
    await socket.until((f) => f.some((x) => x.type === 'error'), 'an error frame');
    expect(socket.frames.find((f) => f.type === 'error')).toMatchObject({ code: 'validation_failed' });
    expect(socket.closeCode).toBeUndefined();
    socket.close();
  });

  it('an event Postgres refuses, published straight onto the stream, goes to the dead letters and the rest goes on', async () => {
    const u = await TestUser.register(stack, 'Poisoner');
    await u.join('poison');
    const event = {
      id: nuid.next(),
      type: 'MessagePosted',
      version: 1,
      occurred_at: new Date().toISOString(),
      data: { room_id: 'poison', message_id: `m_${nuid.next()}`, user_id: u.id, content: 'nul\u0000byte', client_msg_id: null },
      meta: { correlation_id: 'poison-test', causation_id: null, actor: u.id },
    };
    const h = headers();
    h.set('Chat-Event-Type', 'MessagePosted');
    const ack = await jetstream(stack.nc).publish(stack.s.events.messages('poison'), JSON.stringify(event), { headers: h });
    const after = await u.post('poison', 'still here');
    expect(after.status).toBe(201);

    const history = await eventually(async () => {
      const res = await u.history('poison');
      return res.status === 200 && res.body.some((m) => m.content === 'still here') ? res.body : undefined;
    }, 'the post after the poison in history');
    expect(history.some((m) => m.seq === ack.seq)).toBe(false);
    const letters = (await (await fetch(`${stack.projectionOpsUrl}/admin/dead-letters`)).json()) as {
      dead_letters: { seq: number; type: string; error: string; event: string }[];
    };
    expect(letters.dead_letters).toHaveLength(1);
    expect(letters.dead_letters[0]).toMatchObject({ seq: ack.seq, type: 'MessagePosted' });
    expect(letters.dead_letters[0]!.error).toMatch(/0x00|null character|invalid byte/i);
    expect(letters.dead_letters[0]!.event).toContain('nul\\u0000byte');
    const metrics = await (await fetch(`${stack.projectionOpsUrl}/metrics`)).text();
    expect(metrics).toMatch(/chat_projection_dead_letters_total\{[^}]*\} 1/);
    expect((await fetch(`${stack.projectionOpsUrl}/readyz`)).status).toBe(200);
  });
});
