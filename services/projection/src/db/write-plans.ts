import { sql, type Transaction } from 'kysely';
import type { Plans } from '../read-models/index.ts';
import { chunks } from './chunks.ts';
import type { Database } from './schema.ts';
import { writeInvitations } from './write-invitations.ts';

type Trx = Transaction<Database>;

const QUOTE_OR_BACKSLASH = /["\\]/;

/**
 * A column of rows as one array parameter, written as Postgres reads it (`{"a","b\\"c",NULL}`,
 * every element quoted) in one pass: for the hottest statement (message rows, most of a rebuild)
 * this is about a third cheaper than handing pg arrays to encode, and makes no array per column.
 */
function column<R>(rows: readonly R[], f: (r: R) => string | number | null): string {
  let out = '{';
  for (let i = 0; i < rows.length; i++) {
    const v = f(rows[i]!);
    if (i > 0) out += ',';
    if (v === null) out += 'NULL';
    else if (typeof v === 'number') out += `"${v}"`;
    else out += QUOTE_OR_BACKSLASH.test(v) ? `"${v.replace(/["\\]/g, '\\$&')}"` : `"${v}"`;
  }
  return `${out}}`;
}

/**
 * How message rows that are already there (a post repeated in the log, a client's retry outside
 * JetStream's duplicate window) are met: `fail` (a unique violation aborts the transaction; the
 * caller applies the batch again with `skip`), or `skip` (ON CONFLICT DO NOTHING, row by row).
 * `fail` is the common case's fast path: Postgres's speculative insertion for ON CONFLICT costs
 * about 40% of a message row's insert, and a batch without duplicates comes out the same either way.
 */
export type Duplicates = 'fail' | 'skip';

/** Whether an error is Postgres refusing a row that is already there (a unique violation). */
export const isDuplicate = (err: unknown): boolean => (err as { code?: unknown })?.code === '23505';

/**
 * Applies every read model's plan for one batch, inside the batch's transaction. Rows travel as a
 * few array parameters unnested into rows (one statement per table and chunk, whatever the row
 * count); with `skip`, every statement is idempotent, so the rows come out the same if a plan is
 * applied again.
 */
export async function writePlans(trx: Trx, plans: Plans, duplicates: Duplicates = 'skip'): Promise<void> {
  for (const rows of chunks(plans.users.upserts)) {
    const col = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f);
    await sql`
      INSERT INTO projection.users (id, username, avatar_url, avatar_kind, seq)
      SELECT * FROM unnest(${col((r) => r.id)}::text[], ${col((r) => r.username)}::text[], ${col((r) => r.avatar_url)}::text[],
        ${col((r) => r.avatar_kind)}::text[], ${col((r) => r.seq)}::bigint[])
      ON CONFLICT (id) DO UPDATE SET username = excluded.username, avatar_url = excluded.avatar_url,
        avatar_kind = excluded.avatar_kind, seq = excluded.seq
      WHERE projection.users.seq < excluded.seq`.execute(trx);
  }

  for (const rows of chunks(plans.rooms.created)) {
    const col = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f);
    await sql`
      INSERT INTO projection.rooms (id, name, created_by, created_at, last_seq, visibility)
      SELECT * FROM unnest(${col((r) => r.id)}::text[], ${col((r) => r.name)}::text[], ${col((r) => r.created_by)}::text[],
        ${col((r) => r.created_at)}::timestamptz[], ${col((r) => r.last_seq)}::bigint[], ${col((r) => r.visibility)}::text[])
      ON CONFLICT (id) DO NOTHING`.execute(trx);
  }

  for (const rows of chunks(plans.members.joined)) {
    const col = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f);
    await sql`
      INSERT INTO projection.members (room_id, user_id, joined_at, joined_seq)
      SELECT * FROM unnest(${col((r) => r.room_id)}::text[], ${col((r) => r.user_id)}::text[], ${col((r) => r.joined_at)}::timestamptz[],
        ${col((r) => r.joined_seq)}::bigint[])
      ON CONFLICT (room_id, user_id) DO UPDATE SET joined_at = excluded.joined_at, joined_seq = excluded.joined_seq`.execute(trx);
  }
  for (const rows of chunks(plans.members.left)) {
    await sql`
      DELETE FROM projection.members m USING unnest(${rows.map((r) => r.room_id)}::text[], ${rows.map((r) => r.user_id)}::text[]) AS g(room_id, user_id)
      WHERE m.room_id = g.room_id AND m.user_id = g.user_id`.execute(trx);
  }
  for (const rooms of chunks(plans.rooms.recount)) {
    await sql`
      UPDATE projection.rooms r SET member_count = (SELECT count(*) FROM projection.members m WHERE m.room_id = r.id)
      WHERE r.id = ANY(${rooms}::text[])`.execute(trx);
  }

  for (const rows of chunks(plans.messages.inserts)) {
    const col = (f: (r: (typeof rows)[number]) => string | number | null) => column(rows, f);
    await sql`
      INSERT INTO projection.messages (seq, id, room_id, user_id, type, content, client_msg_id, created_at)
      SELECT * FROM unnest(${col((r) => r.seq)}::bigint[], ${col((r) => r.id)}::text[], ${col((r) => r.room_id)}::text[],
        ${col((r) => r.user_id)}::text[], ${col((r) => r.type)}::text[], ${col((r) => r.content)}::text[],
        ${col((r) => r.client_msg_id)}::text[], ${col((r) => r.created_at)}::timestamptz[])
      ${duplicates === 'skip' ? sql`ON CONFLICT DO NOTHING` : sql``}`.execute(trx);
  }
  for (const rows of chunks(plans.messages.changes)) {
    const col = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f);
    await sql`
      UPDATE projection.messages m SET content = c.content, deleted = c.deleted, edited_at = c.edited_at, reactions = c.reactions,
        changed_seq = c.changed_seq
      FROM unnest(${col((r) => r.id)}::text[], ${col((r) => r.room_id)}::text[], ${col((r) => r.content)}::text[], ${col((r) => r.deleted)}::boolean[],
        ${col((r) => r.edited_at)}::timestamptz[], ${col((r) => JSON.stringify(r.reactions))}::jsonb[],
        ${col((r) => r.changed_seq)}::bigint[]) AS c(id, room_id, content, deleted, edited_at, reactions, changed_seq)
      WHERE m.id = c.id AND m.room_id = c.room_id AND (m.changed_seq IS NULL OR m.changed_seq < c.changed_seq)`.execute(trx);
  }
  // A room's newest activity and newest post in one statement (greatest() passes over the null of
  // a room with only one of the two in the batch).
  const touched = new Map<string, { last_seq: number | null; last_message_seq: number | null }>();
  for (const a of plans.rooms.activity) touched.set(a.room_id, { last_seq: a.last_seq, last_message_seq: null });
  for (const m of plans.rooms.lastMessage) {
    const t = touched.get(m.room_id);
    if (t) t.last_message_seq = m.seq;
    else touched.set(m.room_id, { last_seq: null, last_message_seq: m.seq });
  }
  for (const rows of chunks([...touched])) {
    await sql`
      UPDATE projection.rooms r SET last_seq = greatest(r.last_seq, a.last_seq), last_message_seq = greatest(r.last_message_seq, a.last_message_seq)
      FROM unnest(${rows.map(([id]) => id)}::text[], ${rows.map(([, t]) => t.last_seq)}::bigint[], ${rows.map(([, t]) => t.last_message_seq)}::bigint[])
        AS a(room_id, last_seq, last_message_seq)
      WHERE r.id = a.room_id`.execute(trx);
  }
  for (const rows of chunks(plans.readMarkers.markers)) {
    const col = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f);
    await sql`
      INSERT INTO projection.read_markers (user_id, room_id, seq)
      SELECT * FROM unnest(${col((r) => r.user_id)}::text[], ${col((r) => r.room_id)}::text[], ${col((r) => r.seq)}::bigint[])
      ON CONFLICT (user_id, room_id) DO UPDATE SET seq = greatest(projection.read_markers.seq, excluded.seq)`.execute(trx);
  }

  await writeInvitations(trx, plans.invitations);
}
