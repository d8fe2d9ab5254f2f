import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, RoomRow } from './schema.ts';
import { toMemberView, toMessageView, toRoomView, toUserView, type MessageWithAuthor } from '../domain/views.ts';
import { type MemberView, type MessageView, type MyRoomView, type ReplayFrame, type RoomView, UNREAD_MAX } from '@chat/contracts';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The last profile change (or the registration) of each member of a room made after `after`, as
 * frames at its seq: the `limit` oldest (for a page onwards from `after`) or newest (for the
 * latest entries), in seq order either way.
 */
async function profileChanges(db: Db, roomId: string, after: number, limit: number, which: 'oldest' | 'newest' = 'oldest'): Promise<ReplayFrame[]> {
  const rows = await db
    .selectFrom('projection.members as mb')
    .innerJoin('projection.users as u', 'u.id', 'mb.user_id')
    .select(['u.id', 'u.username', 'u.avatar_url', 'u.avatar_kind', 'u.seq'])
    .where('mb.room_id', '=', roomId)
    .where('u.seq', '>', after)
    .orderBy('u.seq', which === 'oldest' ? 'asc' : 'desc')
    .limit(limit)
    .execute();
  if (which === 'newest') rows.reverse();
  return rows.map((r) => ({ type: 'profile_updated' as const, room_id: roomId, user: toUserView(r), seq: Number(r.seq) }));
}

const messagesWithAuthor = (db: Db) =>
  db
    .selectFrom('projection.messages as m')
    .leftJoin('projection.users as u', 'u.id', 'm.user_id')
    .select([
      'm.seq',
      'm.id',
      'm.room_id',
      'm.user_id',
      'm.type',
      'm.content',
      'm.client_msg_id',
      'm.created_at',
      'm.edited_at',
      'm.deleted',
      'm.changed_seq',
      'm.reactions',
      'u.username',
      'u.avatar_url',
    ]);

/**
 * The read side. Names and avatars are joined at read time rather than copied into each message:
 * a profile change is then one row, and no history page can ever show a stale avatar.
 */
export const readModels = Object.freeze({
  /**
   * Rooms, newest activity first (a room's last event's seq is its own: a total order): the public
   * ones, and the private ones `viewer` is a member of.
   */
  async rooms(db: Db, q: { limit: number; before?: number | undefined; viewer: string | null }): Promise<RoomView[]> {
    let query = db
      .selectFrom('projection.rooms')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('visibility', '=', 'public'),
          ...(q.viewer === null
            ? []
            : [
                eb.exists(
                  eb
                    .selectFrom('projection.members as m')
                    .select('m.room_id')
                    .whereRef('m.room_id', '=', 'projection.rooms.id')
                    .where('m.user_id', '=', q.viewer),
                ),
              ]),
        ]),
      );
    if (q.before !== undefined) query = query.where('last_seq', '<', q.before);
    const rows = await query.orderBy('last_seq', 'desc').limit(q.limit).execute();
    return rows.map(toRoomView);
  },

  /**
   * The rooms a user is a member of, newest activity first, each with the user's unread count
   * (posts of others, not deleted, after the read marker, or after the join when there is none;
   * counted up to UNREAD_MAX), where they have read to, and the room's last message.
   */
  async myRooms(db: Db, q: { user_id: string; limit: number; before?: number | undefined }): Promise<MyRoomView[]> {
    const rows = await sql<RoomRow & { read_seq: string | number; unread: number }>`
      SELECT r.*, COALESCE(mk.seq, mb.joined_seq, 0) AS read_seq,
        (SELECT count(*) FROM (
           SELECT 1 FROM projection.messages m
           WHERE m.room_id = r.id AND m.seq > COALESCE(mk.seq, mb.joined_seq, 0) AND m.type = 'text' AND NOT m.deleted AND m.user_id <> ${q.user_id}
           LIMIT ${UNREAD_MAX}) AS u)::int AS unread
      FROM projection.members mb
      JOIN projection.rooms r ON r.id = mb.room_id
      LEFT JOIN projection.read_markers mk ON mk.user_id = mb.user_id AND mk.room_id = mb.room_id
      WHERE mb.user_id = ${q.user_id} ${q.before === undefined ? sql`` : sql`AND r.last_seq < ${q.before}`}
      ORDER BY r.last_seq DESC
      LIMIT ${q.limit}`.execute(db);
    const lastSeqs = rows.rows.flatMap((r) => (r.last_message_seq === null ? [] : [Number(r.last_message_seq)]));
    const last = new Map((await readModels.messagesBySeq(db, lastSeqs)).map((m) => [m.seq, m]));
    return rows.rows.map((r) => ({
      ...toRoomView({ ...r, last_seq: Number(r.last_seq), created_at: new Date(r.created_at) }),
      unread: r.unread,
      read_seq: Number(r.read_seq),
      last_message: r.last_message_seq === null ? null : (last.get(Number(r.last_message_seq)) ?? null),
    }));
  },

  async room(db: Db, roomId: string): Promise<RoomView | undefined> {
    const row = await db.selectFrom('projection.rooms').selectAll().where('id', '=', roomId).executeTakeFirst();
    return row && toRoomView(row);
  },

  /** Members, oldest first; `after`: those after that cursor in this order (keyset on join time and id). */
  async members(db: Db, q: { room_id: string; limit: number; after?: { joinedAt: string; userId: string } | undefined }): Promise<MemberView[]> {
    let query = db
      .selectFrom('projection.members as mb')
      .leftJoin('projection.users as u', 'u.id', 'mb.user_id')
      .select(['mb.user_id', 'mb.joined_at', 'u.username', 'u.avatar_url'])
      .where('mb.room_id', '=', q.room_id);
    if (q.after !== undefined) {
      const { joinedAt, userId } = q.after;
      query = query.where(sql<boolean>`(mb.joined_at, mb.user_id) > (${joinedAt}::timestamptz, ${userId})`);
    }
    const rows = await query.orderBy('mb.joined_at').orderBy('mb.user_id').limit(q.limit).execute();
    return rows.map(toMemberView);
  },

  /** One page of a room's timeline in seq order: the newest, or those before / after a cursor. */
  async page(db: Db, q: { room_id: string; before?: number | undefined; after?: number | undefined; limit: number }): Promise<MessageView[]> {
    let query = messagesWithAuthor(db).where('m.room_id', '=', q.room_id);
    if (q.after !== undefined) {
      const rows = await query.where('m.seq', '>', q.after).orderBy('m.seq', 'asc').limit(q.limit).execute();
      return rows.map((r) => toMessageView(r as MessageWithAuthor));
    }
    if (q.before !== undefined) query = query.where('m.seq', '<', q.before);
    const rows = await query.orderBy('m.seq', 'desc').limit(q.limit).execute();
    return rows.reverse().map((r) => toMessageView(r as MessageWithAuthor));
  },

  /**
   * A room's timeline changes after a resume cursor `since`, one page from `after` on, in the order
   * of the events that made them: each message posted after the cursor once, as it is now
   * (`message`), and each older message changed after it once, at its last change (`message_updated`).
   */
  async changes(db: Db, q: { room_id: string; since: number; after: number; limit: number }): Promise<ReplayFrame[]> {
    const { since, after } = q;
    const [rows, profiles] = await Promise.all([
      messagesWithAuthor(db)
        .select(sql<number>`CASE WHEN m.seq > ${since} THEN m.seq ELSE m.changed_seq END`.as('frame_seq'))
        .where('m.room_id', '=', q.room_id)
        .where((eb) => eb.or([eb.and([eb('m.seq', '>', since), eb('m.seq', '>', after)]), eb.and([eb('m.seq', '<=', since), eb('m.changed_seq', '>', after)])]))
        .orderBy('frame_seq')
        .limit(q.limit)
        .execute(),
      profileChanges(db, q.room_id, after, q.limit),
    ]);
    const frames: ReplayFrame[] = rows.map((r) => {
      const message = toMessageView(r as MessageWithAuthor);
      const seq = Number(r.frame_seq);
      return seq === message.seq
        ? { type: 'message' as const, room_id: q.room_id, message, seq }
        : { type: 'message_updated' as const, room_id: q.room_id, message, seq };
    });
    return [...frames, ...profiles].sort((a, b) => a.seq - b.seq).slice(0, q.limit);
  },

  /**
   * A room's latest timeline entries: each of the `limit` most recently active messages as it is
   * now (`message` at its seq) and, if changed, once more at its last change (`message_updated`).
   * `from`: the entries are complete after it (every timeline change of the room past it is here).
   */
  async recent(db: Db, roomId: string, limit: number): Promise<{ from: number; frames: ReplayFrame[] }> {
    // Two index scans (newest posts, newest changes) rather than a sort over the whole room.
    const [posted, changed] = await Promise.all([
      messagesWithAuthor(db).where('m.room_id', '=', roomId).orderBy('m.seq', 'desc').limit(limit).execute(),
      messagesWithAuthor(db).where('m.room_id', '=', roomId).where('m.changed_seq', 'is not', null).orderBy('m.changed_seq', 'desc').limit(limit).execute(),
    ]);
    const rows = new Map([...posted, ...changed].map((r) => [r.seq, r]));
    const activity = (r: { seq: number; changed_seq: number | null }) => Math.max(r.seq, r.changed_seq ?? 0);
    const newest = [...rows.values()].sort((a, b) => activity(b) - activity(a)).slice(0, limit);
    const complete = newest.length < limit || posted.length < limit;
    const from = complete ? 0 : activity(newest[newest.length - 1]!) - 1;
    const frames: ReplayFrame[] = [];
    for (const r of newest) {
      const message = toMessageView(r as MessageWithAuthor);
      if (r.seq > from) frames.push({ type: 'message', room_id: roomId, message, seq: r.seq });
      if (r.changed_seq !== null && r.changed_seq > from) frames.push({ type: 'message_updated', room_id: roomId, message, seq: r.changed_seq });
    }
    // Members' profile changes after `from` too, the newest `limit` of them: if there may be more,
    // the entries are complete only after the oldest one read.
    const profiles = await profileChanges(db, roomId, from, limit, 'newest');
    const completeAfter = profiles.length < limit ? from : Math.max(from, profiles[0]!.seq - 1);
    const all = [...frames.filter((f) => f.seq > completeAfter), ...profiles].sort((a, b) => a.seq - b.seq);
    return { from: completeAfter, frames: all };
  },

  async messagesBySeq(db: Db, seqs: number[]): Promise<MessageView[]> {
    if (seqs.length === 0) return [];
    const rows = await messagesWithAuthor(db).where('m.seq', 'in', seqs).orderBy('m.seq').execute();
    return rows.map((r) => toMessageView(r as MessageWithAuthor));
  },

  async messagesById(db: Db, roomId: string, ids: string[]): Promise<MessageView[]> {
    if (ids.length === 0) return [];
    const rows = await messagesWithAuthor(db).where('m.room_id', '=', roomId).where('m.id', 'in', ids).orderBy('m.seq').execute();
    return rows.map((r) => toMessageView(r as MessageWithAuthor));
  },

  async roomsOfUser(db: Db, userId: string): Promise<string[]> {
    const rows = await db.selectFrom('projection.members').select('room_id').where('user_id', '=', userId).execute();
    return rows.map((r) => r.room_id);
  },
});
