import { createDb, type Kysely, migrateToLatest } from '@chat/db';
import { createTestEnv, type TestEnv } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advance, claim, FencedError, GapError, position } from '../services/projection/src/db/checkpoint.ts';
import { migrations } from '../services/projection/src/db/migrations.ts';
import { type Database, SCHEMA } from '../services/projection/src/db/schema.ts';

let env: TestEnv;
let db: Kysely<Database>;
const stream = { name: 'CHAT_T', created: '2026-01-01T00:00:00Z', lastSeq: 1000 };

beforeAll(async () => {
  env = await createTestEnv();
  db = createDb<Database>(env.databaseUrl);
  await migrateToLatest(db, SCHEMA, migrations);
});
afterAll(async () => {
  await db?.destroy();
  await env?.cleanup();
});

const batch = (epoch: number, first: number, last: number) => db.transaction().execute((trx) => advance(trx, 'cp', epoch, first, last));

describe('the checkpoint moves batch by batch, for its holder only', () => {
  it('moves over a batch that starts right after it; refuses a gap, a repeat, and an older epoch', async () => {
    const first = await claim(db, 'cp', stream);
    expect(first).toEqual({ seq: 0, epoch: 1 });
    await batch(1, 1, 10);
    await batch(1, 11, 11);
    expect(await position(db, 'cp')).toBe(11);
    await expect(batch(1, 13, 20)).rejects.toBeInstanceOf(GapError);
    await expect(batch(1, 5, 20)).rejects.toMatchObject({ name: 'GapError', checkpoint: 11, firstSeq: 5 });

    // A new holder takes over: the old one cannot move it any more, whatever its batch.
    const second = await claim(db, 'cp', stream);
    expect(second).toEqual({ seq: 11, epoch: 2 });
    await expect(batch(1, 12, 20)).rejects.toBeInstanceOf(FencedError);
    await batch(2, 12, 20);
    expect(await position(db, 'cp')).toBe(20);
  });

  it('a claim that commits while an older holder waits on the row fences that holder off', async () => {
    const { epoch, seq } = await claim(db, 'race', stream);
    // The new holder's claim holds the row; the old holder's batch waits for it, then is refused.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const claiming = db.transaction().execute(async (trx) => {
      await trx.selectFrom('projection.checkpoint').select('seq').where('name', '=', 'race').forUpdate().execute();
      await trx
        .updateTable('projection.checkpoint')
        .set({ epoch: epoch + 1 })
        .where('name', '=', 'race')
        .execute();
      await held;
    });
    await new Promise((r) => setTimeout(r, 100));
    const old = db.transaction().execute((trx) => advance(trx, 'race', epoch, seq + 1, seq + 5));
    await new Promise((r) => setTimeout(r, 100));
    release();
    await claiming;
    await expect(old).rejects.toBeInstanceOf(FencedError);
    expect(await position(db, 'race')).toBe(seq);
  });
});
