import { sql, type Transaction } from 'kysely';
import type { InvitationsPlan } from '../read-models/invitations.ts';
import { chunks } from './chunks.ts';
import type { Database } from './schema.ts';

/**
 * Applies the invitations plan of one batch, in the batch's transaction: ended ones go, pending
 * ones are written (a newer invitation replaces an older row of the same room and invitee).
 * Idempotent, as every statement of the writer: applying the plan again leaves the same rows.
 */
export async function writeInvitations(trx: Transaction<Database>, plan: InvitationsPlan): Promise<void> {
  for (const rows of chunks(plan.ended)) {
    await sql`
      DELETE FROM projection.invitations i USING unnest(${rows.map((r) => r.room_id)}::text[], ${rows.map((r) => r.user_id)}::text[]) AS g(room_id, user_id)
      WHERE i.room_id = g.room_id AND i.user_id = g.user_id`.execute(trx);
  }
  for (const rows of chunks(plan.pending)) {
    const col = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f);
    await sql`
      INSERT INTO projection.invitations (room_id, user_id, invited_by, invited_at, seq)
      SELECT * FROM unnest(${col((r) => r.room_id)}::text[], ${col((r) => r.user_id)}::text[], ${col((r) => r.invited_by)}::text[],
        ${col((r) => r.invited_at)}::timestamptz[], ${col((r) => r.seq)}::bigint[])
      ON CONFLICT (room_id, user_id) DO UPDATE SET invited_by = excluded.invited_by, invited_at = excluded.invited_at, seq = excluded.seq
      WHERE projection.invitations.seq < excluded.seq`.execute(trx);
  }
}
