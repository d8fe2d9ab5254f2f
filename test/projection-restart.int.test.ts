import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { eventually } from '@chat/testkit';
import { startStack, type Stack } from './support/stack.ts';
import { TestUser } from './support/client.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

async function dump(databaseUrl: string, checkpoint: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const q = async (sql: string) => (await client.query(sql)).rows;
    return {
      checkpoint: (await client.query('SELECT seq FROM projection.checkpoint WHERE name = $1', [checkpoint])).rows[0]?.seq,
      users: await q('SELECT id, username, avatar_url, avatar_kind, seq FROM projection.users ORDER BY id'),
      rooms: await q('SELECT id, name, created_by, created_at, member_count, last_seq FROM projection.rooms ORDER BY id'),
      members: await q('SELECT room_id, user_id, joined_at FROM projection.members ORDER BY room_id, user_id'),
      messages: await q('SELECT seq, id, room_id, user_id, type, content, client_msg_id, created_at, edited_at, deleted FROM projection.messages ORDER BY seq'),
    };
  } finally {
    await client.end();
  }
}

const lag = async (opsUrl: string) => (await (await fetch(`${opsUrl}/admin/lag`)).json()) as { lag: number; position: number };

describe('projection restart', () => {
  it('stopped mid-stream and restarted, its views equal a fresh rebuild', async () => {
    const users = await Promise.all(['Ann', 'Bob', 'Cy'].map((n) => TestUser.register(stack, n)));
    for (const u of users) await u.join('replay');

    // Keep posting while the projection is stopped and started again.
    let posting = true;
    let posted = 0;
    const writer = (async () => {
      while (posting) {
        const u = users[posted % users.length]!;
        const res = await u.request('POST', '/rooms/replay/messages', { content: `n${posted}`, client_msg_id: `w${posted}` });
        if (res.status >= 400) throw new Error(`post failed ${res.status}`);
        posted++;
      }
    })();
    await eventually(() => (posted >= 20 ? true : undefined), '20 posts');
    await stack.stopProjection();
    await eventually(() => (posted >= 60 ? true : undefined), '40 more posts while stopped');
    await users[0]!.request('PATCH', `/users/${users[0]!.id}`, { username: 'Ann Renamed' });
    const restarted = await stack.startProjection();
    await eventually(() => (posted >= 90 ? true : undefined), '30 more posts after restart');
    posting = false;
    await writer;

    await eventually(async () => ((await lag(restarted.opsUrl)).lag === 0 ? true : undefined), 'restarted projection catches up');
    const rebuilt = await stack.startProjection({ PROJECTION_NAME: 'fresh' });
    await eventually(async () => ((await lag(rebuilt.opsUrl)).lag === 0 ? true : undefined), 'fresh projection catches up');

    // Same database, two independent projections: compare what the first wrote with a rebuild.
    const live = await dump(stack.env.databaseUrl, 'projection');
    await restarted.stop();
    await rebuilt.stop();
    const fresh = await dump(stack.env.databaseUrl, 'fresh');
    expect(live.messages.filter((m) => m.type === 'text')).toHaveLength(posted);
    expect(live.checkpoint).toBe(fresh.checkpoint);
    expect(live).toEqual(fresh);
  });

  it('runs one active copy per name: a standby answers queries and takes over when the active one stops', async () => {
    // The first test left no projection running: start an active copy, then a second one.
    const active = await stack.startProjection();
    const standby = await stack.startProjection();
    const standbyLag = async () => (await (await fetch(`${standby.opsUrl}/admin/lag`)).json()) as { active: boolean };
    expect((await standbyLag()).active).toBe(false);
    const u = await TestUser.register(stack, 'Handover');
    await u.join('handover');
    await u.post('handover', 'before');
    await active.stop();
    // Posts keep being accepted while nobody projects; the standby catches up once it leads.
    const during = await u.post('handover', 'during');
    expect([201, 202]).toContain(during.status);
    await eventually(async () => ((await standbyLag()).active ? true : undefined), 'the standby takes over');
    await u.post('handover', 'after');
    const texts = (await u.history('handover')).body.filter((m) => m.type === 'text').map((m) => m.content);
    expect(texts).toEqual(['before', 'during', 'after']);
    await standby.stop();
  });
});
