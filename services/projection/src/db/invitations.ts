import { invitationView, type InvitationView } from '@chat/contracts';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The invitations waiting for a user, newest first (by the seq of the invitation: a total
 * order, and the cursor of the next page), each with the room's name and the inviter's name and
 * avatar as they are now (joined at read time, as messages show their authors).
 */
export async function myInvitations(db: Db, q: { user_id: string; limit: number; before?: number | undefined }): Promise<InvitationView[]> {
  const rows = await sql<{
    room_id: string;
    invited_by: string;
    invited_at: Date;
    seq: string | number;
    room_name: string | null;
    username: string | null;
    avatar_url: string | null;
  }>`
    SELECT i.room_id, i.invited_by, i.invited_at, i.seq, r.name AS room_name, u.username, u.avatar_url
    FROM projection.invitations i
    LEFT JOIN projection.rooms r ON r.id = i.room_id
    LEFT JOIN projection.users u ON u.id = i.invited_by
    WHERE i.user_id = ${q.user_id} ${q.before === undefined ? sql`` : sql`AND i.seq < ${q.before}`}
    ORDER BY i.seq DESC
    LIMIT ${q.limit}`.execute(db);
  return rows.rows.map((r) =>
    invitationView(
      { room_id: r.room_id, room_name: r.room_name, invited_by: r.invited_by, invited_at: new Date(r.invited_at).toISOString(), seq: Number(r.seq) },
      { username: r.username, avatar: r.avatar_url },
    ),
  );
}
