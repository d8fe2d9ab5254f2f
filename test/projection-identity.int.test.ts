import { call, ensureEventStream, jetstream, jetstreamManager } from '@chat/bus';
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

async function recreateStream(): Promise<void> {
  const jsm = await jetstreamManager(stack.nc);
  await jsm.streams.delete(stack.s.stream);
  await ensureEventStream(jsm, stack.s);
}

async function sql(query: string): Promise<void> {
  const db = new pg.Client({ connectionString: stack.env.databaseUrl });
  await db.connect();
  try {
    await db.query(query);
  } finally {
    await db.end();
  }
}

async function rows(query: string): Promise<Record<string, unknown>[]> {
  const db = new pg.Client({ connectionString: stack.env.databaseUrl });
  await db.connect();
  try {
    return (await db.query(query)).rows;
  } finally {
    await db.end();
  }
}

/** A well-formed registration appended straight to the log. */
async function registered(userId: string, username: string): Promise<void> {
  const event = {
    id: `e_${userId}`,
    type: 'UserRegistered',
    version: 1,
    occurred_at: new Date().toISOString(),
    data: { user_id: userId, username, avatar: null },
    meta: { correlation_id: userId, causation_id: null, actor: null },
  };
  await jetstream(stack.nc).publish(stack.s.events.user(userId), JSON.stringify(event));
}

describe('the checkpoint knows which stream it belongs to', () => {
  it('a running projection whose stream is made again stops and says to rebuild; POST /admin/rebuild then does', async () => {
    const u = await TestUser.register(stack, 'OldTimer');
    await u.join('old-times');
    await u.post('old-times', 'before');
    await recreateStream();
    await registered('u_newcomer', 'Newcomer');
    // Before, the writer went on at its old position in the new stream: the newcomer's event (seq 1
    // there) was skipped, and later ones were mixed into the old read models.
    const lag = await eventually(
      async () => {
        const body = (await (await fetch(`${stack.projectionOpsUrl}/admin/lag`)).json()) as { error: string | null };
        return body.error ? body : undefined;
      },
      'the projection halted',
      15_000,
    );
    expect(lag.error).toMatch(/deleted and made again[\s\S]*rebuild/);
    expect((await fetch(`${stack.projectionOpsUrl}/readyz`)).status).toBe(503);

    expect((await fetch(`${stack.projectionOpsUrl}/admin/rebuild`, { method: 'POST' })).status).toBe(202);
    await eventually(
      async () => ((await rows(`SELECT id FROM projection.users WHERE id = 'u_newcomer'`)).length === 1 ? true : undefined),
      'rebuilt from the new stream',
      15_000,
    );
    expect(await rows(`SELECT id FROM projection.users WHERE id = '${u.id}'`)).toEqual([]);
  });

  it('a projection whose stream was recreated refuses to start and says to rebuild; with PROJECTION_REBUILD it rebuilds', async () => {
    const u = await TestUser.register(stack, 'Before');
    await u.join('old-room');
    for (let i = 0; i < 5; i++) await u.post('old-room', `old ${i}`);
    expect((await u.history('old-room')).body.filter((m) => m.type === 'text')).toHaveLength(5);
    await stack.stopProjection();

    await recreateStream();
    await expect(stack.startProjection()).rejects.toThrow(/was deleted and made again[\s\S]*PROJECTION_REBUILD=true/);

    // A checkpoint from before streams were recorded, past the end of the new stream: refused too.
    await sql('UPDATE projection.checkpoint SET stream_name = NULL, stream_created = NULL');
    await expect(stack.startProjection()).rejects.toThrow(/past the end of stream/);

    const rebuilt = await stack.startProjection({ PROJECTION_REBUILD: 'true' });
    try {
      const lag = (await (await fetch(`${rebuilt.opsUrl}/admin/lag`)).json()) as { position: number; error: string | null };
      expect(lag.error).toBeNull();
      const after = await TestUser.register(stack, 'After');
      expect((await after.join('new-room')).status).toBe(200);
      expect((await after.post('new-room', 'on the new stream')).status).toBe(201);
      expect((await after.history('new-room')).body.map((m) => m.content)).toContain('on the new stream');
      // Nothing of the old stream is left in the read models.
      await expect(call(stack.nc, stack.s, 'getRoom', { room_id: 'old-room' })).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      await rebuilt.stop();
    }
  });
});
