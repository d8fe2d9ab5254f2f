import type { StreamIdentity } from '@chat/bus';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** A newer copy has taken over writing: this one must stop. */
export class FencedError extends Error {
  constructor(mine: number, current: number) {
    super(`the checkpoint belongs to epoch ${current} now (this copy holds ${mine}): another copy took over`);
    this.name = 'FencedError';
  }
}

/** A batch that does not start right after the checkpoint: applying it would skip or repeat events. */
export class GapError extends Error {
  constructor(
    readonly checkpoint: number,
    readonly firstSeq: number,
  ) {
    super(`a batch starting at ${firstSeq} does not follow the checkpoint ${checkpoint}`);
    this.name = 'GapError';
  }
}

/** The read models were built from another stream, or from more of this one than it holds. */
export class CheckpointMismatchError extends Error {
  constructor(message: string) {
    super(
      `${message}. The read models do not belong to this event log: rebuild them from it ` +
        '(start the projection once with PROJECTION_REBUILD=true, or POST /admin/rebuild on its ops port), ' +
        'or point DATABASE_URL at the database built from this stream.',
    );
    this.name = 'CheckpointMismatchError';
  }
}

export interface Claim {
  seq: number;
  epoch: number;
}

/** Checks that the checkpoint belongs to `stream` (a stream recreated, or one shorter than it, is refused). */
export async function checkIdentity(db: Db, name: string, stream: StreamIdentity): Promise<number> {
  const row = await db.selectFrom('projection.checkpoint').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) return 0;
  if (row.stream_name !== null && (row.stream_name !== stream.name || row.stream_created !== stream.created)) {
    throw new CheckpointMismatchError(
      `the checkpoint "${name}" was written for stream ${row.stream_name} created ${row.stream_created}, but the stream is now ${stream.name} created ${stream.created} (it was deleted and made again, or this is another namespace)`,
    );
  }
  if (row.seq > stream.lastSeq) {
    throw new CheckpointMismatchError(`the checkpoint "${name}" is at seq ${row.seq}, past the end of stream ${stream.name} (${stream.lastSeq})`);
  }
  return row.seq;
}

/**
 * Takes the checkpoint for this copy: checks it belongs to `stream`, records the stream when it was
 * not yet, and raises the epoch. From then on every batch of an older holder is refused
 * (`advance`), whatever it still believes about its lease.
 */
export async function claim(db: Kysely<Database>, name: string, stream: StreamIdentity): Promise<Claim> {
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('projection.checkpoint')
      .values({ name, seq: 0, stream_name: stream.name, stream_created: stream.created })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = await trx.selectFrom('projection.checkpoint').selectAll().where('name', '=', name).forUpdate().executeTakeFirstOrThrow();
    await checkIdentity(trx, name, stream);
    const epoch = Number(row.epoch) + 1;
    await trx.updateTable('projection.checkpoint').set({ epoch, stream_name: stream.name, stream_created: stream.created }).where('name', '=', name).execute();
    return { seq: row.seq, epoch };
  });
}

/**
 * Moves the checkpoint over a batch `[firstSeq, lastSeq]`, in the batch's transaction: only for the
 * current epoch's holder, and only when the batch starts right after the checkpoint.
 */
export async function advance(trx: Transaction<Database>, name: string, epoch: number, firstSeq: number, lastSeq: number): Promise<void> {
  // One statement when all is well (one round trip per batch fewer): the update locks the row, and
  // a claim that committed meanwhile is seen by it (Postgres checks the WHERE again on the row's
  // newest version), so an older holder's batch moves nothing.
  const moved = await trx
    .updateTable('projection.checkpoint')
    .set({ seq: lastSeq })
    .where('name', '=', name)
    .where('epoch', '=', epoch)
    .where('seq', '=', firstSeq - 1)
    .executeTakeFirst();
  if (moved.numUpdatedRows === 1n) return;
  // Refused: say why.
  const row = await trx.selectFrom('projection.checkpoint').select(['seq', 'epoch']).where('name', '=', name).executeTakeFirst();
  if (!row) throw new FencedError(epoch, -1);
  if (Number(row.epoch) !== epoch) throw new FencedError(epoch, Number(row.epoch));
  throw new GapError(row.seq, firstSeq);
}

export async function position(db: Db, name: string): Promise<number> {
  const row = await db.selectFrom('projection.checkpoint').select('seq').where('name', '=', name).executeTakeFirst();
  return row?.seq ?? 0;
}

/** Empties every read model and moves the checkpoint back to the start of `stream`, keeping the epoch. */
export async function resetReadModels(db: Kysely<Database>, name: string, stream: StreamIdentity): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`TRUNCATE projection.messages, projection.members, projection.rooms, projection.users, projection.dead_letters, projection.read_markers, projection.invitations`.execute(
      trx,
    );
    await trx.updateTable('projection.checkpoint').set({ seq: 0, stream_name: stream.name, stream_created: stream.created }).where('name', '=', name).execute();
  });
}
