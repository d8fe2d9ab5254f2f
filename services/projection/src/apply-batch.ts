import type { StoredEvent } from '@chat/bus';
import { avatarKind, avatarUrl, type ChatEvent, type LiveFrame } from '@chat/contracts';
import { sql, type Insertable, type Transaction } from 'kysely';
import { readModels } from './db/read-models.ts';
import type { Database, MessageTable } from './db/schema.ts';
import { toMemberView, toMessageView, toUserView } from './domain/views.ts';

type Trx = Transaction<Database>;

export interface LiveUpdate {
  roomId: string;
  frame: LiveFrame;
}

const INSERT_CHUNK = 5000;

/**
 * Inserts message rows as nine array parameters unnested into rows (one statement per chunk,
 * whatever the row count: no per-row parameters to bind), skipping rows already there.
 * Returns the rows that were inserted, in seq order.
 */
async function insertMessages(trx: Trx, rows: Insertable<MessageTable>[]): Promise<Insertable<MessageTable>[]> {
  const inserted: Insertable<MessageTable>[] = [];
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK);
    const col = <T>(f: (r: Insertable<MessageTable>) => T) => chunk.map(f);
    const { rows: done } = await sql<{ seq: number }>`
      INSERT INTO projection.messages (seq, id, room_id, user_id, type, content, client_msg_id, created_at, edited_at)
      SELECT * FROM unnest(
        ${col((r) => r.seq)}::bigint[], ${col((r) => r.id)}::text[], ${col((r) => r.room_id)}::text[],
        ${col((r) => r.user_id)}::text[], ${col((r) => r.type)}::text[], ${col((r) => r.content)}::text[],
        ${col((r) => r.client_msg_id ?? null)}::text[], ${col((r) => toIso(r.created_at))}::timestamptz[],
        ${col((r) => (r.edited_at ? toIso(r.edited_at) : null))}::timestamptz[])
      ON CONFLICT DO NOTHING
      RETURNING seq`.execute(trx);
    const seqs = new Set(done.map((r) => Number(r.seq)));
    for (const r of chunk) if (seqs.has(r.seq)) inserted.push(r);
  }
  return inserted;
}

const toIso = (d: Date | string): string => (typeof d === 'string' ? d : d.toISOString());

/**
 * Applies events in one transaction with the checkpoint, so each event takes effect exactly once
 * whatever is redelivered. Events at or below the checkpoint are skipped; the checkpoint moves to
 * `throughSeq` (the batch may hold events that were unreadable and left out). Returns the live
 * updates to publish once the transaction has committed (none when `live` is false).
 */
export async function applyBatch(
  trx: Trx,
  checkpointName: string,
  batch: StoredEvent[],
  throughSeq: number,
  live: boolean,
): Promise<{ applied: number; lastSeq: number; updates: LiveUpdate[] }> {
  const current = await trx.selectFrom('projection.checkpoint').select('seq').where('name', '=', checkpointName).forUpdate().executeTakeFirst();
  const from = current?.seq ?? 0;
  if (throughSeq <= from) return { applied: 0, lastSeq: from, updates: [] };
  const events = batch.filter((e) => e.seq > from);

  const messageRows: Insertable<MessageTable>[] = [];
  const roomLastSeq = new Map<string, number>();
  const joined: { seq: number; roomId: string; userId: string; at: Date }[] = [];
  const left: { seq: number; roomId: string; userId: string }[] = [];
  const profiles: { seq: number; userId: string }[] = [];
  const changed: { seq: number; messageSeq: number }[] = [];
  const inserted: Insertable<MessageTable>[] = [];
  // New messages are inserted many rows at a time; an edit first writes what is pending before it.
  const flushMessages = async () => {
    inserted.push(...(await insertMessages(trx, messageRows)));
    messageRows.length = 0;
  };

  for (const { seq, event } of events) {
    await applyOne(trx, seq, event, { messageRows, roomLastSeq, joined, left, profiles, changed, flushMessages });
  }
  await flushMessages();

  for (const [roomId, seq] of roomLastSeq) {
    await trx
      .updateTable('projection.rooms')
      .set({ last_seq: sql<number>`greatest(last_seq, ${seq})` })
      .where('id', '=', roomId)
      .execute();
  }

  const lastSeq = throughSeq;
  await trx
    .insertInto('projection.checkpoint')
    .values({ name: checkpointName, seq: lastSeq })
    .onConflict((oc) => oc.column('name').doUpdateSet({ seq: lastSeq }))
    .execute();

  const updates = live ? await liveUpdates(trx, inserted, joined, left, profiles, changed) : [];
  return { applied: events.length, lastSeq, updates };
}

interface Pending {
  messageRows: Insertable<MessageTable>[];
  roomLastSeq: Map<string, number>;
  joined: { seq: number; roomId: string; userId: string; at: Date }[];
  left: { seq: number; roomId: string; userId: string }[];
  profiles: { seq: number; userId: string }[];
  /** Edited or deleted messages: the event's seq and the message's own. */
  changed: { seq: number; messageSeq: number }[];
  flushMessages: () => Promise<void>;
}

async function applyOne(trx: Trx, seq: number, event: ChatEvent, p: Pending): Promise<void> {
  const at = new Date(event.occurred_at);
  switch (event.type) {
    case 'RoomCreated': {
      const { room_id, name, created_by } = event.data;
      await trx
        .insertInto('projection.rooms')
        .values({ id: room_id, name, created_by, created_at: at, last_seq: seq })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      return;
    }
    case 'UserJoined': {
      const { room_id, user_id } = event.data;
      const inserted = await trx
        .insertInto('projection.members')
        .values({ room_id, user_id, joined_at: at })
        .onConflict((oc) => oc.columns(['room_id', 'user_id']).doNothing())
        .returning('user_id')
        .executeTakeFirst();
      if (!inserted) return;
      await trx.updateTable('projection.rooms').set({ member_count: sql<number>`member_count + 1` }).where('id', '=', room_id).execute();
      p.messageRows.push(systemRow(seq, event.id, room_id, user_id, 'joined', at));
      p.roomLastSeq.set(room_id, seq);
      p.joined.push({ seq, roomId: room_id, userId: user_id, at });
      return;
    }
    case 'UserLeft': {
      const { room_id, user_id } = event.data;
      const removed = await trx
        .deleteFrom('projection.members')
        .where('room_id', '=', room_id)
        .where('user_id', '=', user_id)
        .returning('user_id')
        .executeTakeFirst();
      if (!removed) return;
      await trx.updateTable('projection.rooms').set({ member_count: sql<number>`member_count - 1` }).where('id', '=', room_id).execute();
      p.messageRows.push(systemRow(seq, event.id, room_id, user_id, 'left', at));
      p.roomLastSeq.set(room_id, seq);
      p.left.push({ seq, roomId: room_id, userId: user_id });
      return;
    }
    case 'MessagePosted': {
      const { room_id, message_id, user_id, content, client_msg_id } = event.data;
      p.messageRows.push({ seq, id: message_id, room_id, user_id, type: 'text', content, client_msg_id, created_at: at, edited_at: null });
      p.roomLastSeq.set(room_id, seq);
      return;
    }
    case 'MessageEdited':
    case 'MessageDeleted': {
      await p.flushMessages();
      const edit = event.type === 'MessageEdited';
      const row = await trx
        .updateTable('projection.messages')
        .set(edit ? { content: event.data.content, edited_at: at } : { content: '', deleted: true, edited_at: at })
        .where('id', '=', event.data.message_id)
        .where('room_id', '=', event.data.room_id)
        .returning('seq')
        .executeTakeFirst();
      if (row) p.changed.push({ seq, messageSeq: row.seq });
      return;
    }
    case 'UserRegistered':
    case 'ProfileUpdated': {
      const { user_id, username, avatar } = event.data;
      const row = { id: user_id, username, avatar_url: avatarUrl(avatar, user_id), avatar_kind: avatarKind(avatar), seq };
      await trx
        .insertInto('projection.users')
        .values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet({ username: row.username, avatar_url: row.avatar_url, avatar_kind: row.avatar_kind, seq }))
        .execute();
      if (event.type === 'ProfileUpdated') p.profiles.push({ seq, userId: user_id });
      return;
    }
    default: {
      const _exhaustive: never = event;
    }
  }
}

const systemRow = (seq: number, eventId: string, roomId: string, userId: string, what: 'joined' | 'left', at: Date): Insertable<MessageTable> => ({
  seq,
  id: `sys_${eventId}`,
  room_id: roomId,
  user_id: userId,
  type: 'system',
  content: what,
  client_msg_id: null,
  created_at: at,
  edited_at: null,
});

async function authorsOf(trx: Trx, ids: string[]): Promise<Map<string, { username: string; avatar_url: string }>> {
  if (ids.length === 0) return new Map();
  const users = await trx.selectFrom('projection.users').select(['id', 'username', 'avatar_url']).where('id', 'in', ids).execute();
  return new Map(users.map((u) => [u.id, u]));
}

/** The frames for what this batch changed, in seq order, read inside the transaction. */
async function liveUpdates(
  trx: Trx,
  inserted: Insertable<MessageTable>[],
  joined: Pending['joined'],
  left: Pending['left'],
  profiles: Pending['profiles'],
  changed: Pending['changed'],
): Promise<LiveUpdate[]> {
  const ordered: { seq: number; roomId: string; frame: LiveFrame }[] = [];
  if (changed.length > 0) {
    const views = new Map(
      (
        await readModels.messagesBySeq(
          trx,
          changed.map((c) => c.messageSeq),
        )
      ).map((m) => [m.seq, m]),
    );
    for (const c of changed) {
      const message = views.get(c.messageSeq);
      if (message) ordered.push({ seq: c.seq, roomId: message.room_id, frame: { type: 'message_updated', message } });
    }
  }
  // The views of what was just inserted, built from the rows in hand and the authors' current
  // profiles (as history reads them), instead of reading the rows back.
  const authors = await authorsOf(trx, [...new Set(inserted.map((r) => r.user_id))]);
  for (const row of inserted) {
    const author = authors.get(row.user_id);
    const message = toMessageView({
      seq: row.seq,
      id: row.id,
      room_id: row.room_id,
      user_id: row.user_id,
      type: row.type,
      content: row.content,
      client_msg_id: row.client_msg_id ?? null,
      created_at: new Date(row.created_at),
      edited_at: row.edited_at ? new Date(row.edited_at) : null,
      deleted: false,
      username: author?.username ?? null,
      avatar_url: author?.avatar_url ?? null,
    });
    ordered.push({ seq: message.seq, roomId: message.room_id, frame: { type: 'message', message } });
  }
  if (joined.length > 0) {
    const byId = await authorsOf(
      trx,
      joined.map((j) => j.userId),
    );
    for (const j of joined) {
      const u = byId.get(j.userId);
      const member = toMemberView({ user_id: j.userId, joined_at: j.at, username: u?.username ?? null, avatar_url: u?.avatar_url ?? null });
      ordered.push({ seq: j.seq, roomId: j.roomId, frame: { type: 'member_joined', member, seq: j.seq } });
    }
  }
  for (const l of left) ordered.push({ seq: l.seq, roomId: l.roomId, frame: { type: 'member_left', user_id: l.userId, seq: l.seq } });
  for (const { seq, userId } of profiles) {
    const user = await trx.selectFrom('projection.users').select(['id', 'username', 'avatar_url', 'avatar_kind']).where('id', '=', userId).executeTakeFirst();
    if (!user) continue;
    for (const roomId of await readModels.roomsOfUser(trx, userId)) {
      ordered.push({ seq, roomId, frame: { type: 'profile_updated', user: toUserView(user), seq } });
    }
  }
  // Within one event, the timeline message (system line) comes before the membership frame.
  ordered.sort((a, b) => a.seq - b.seq || (a.frame.type === 'message' ? -1 : 1));
  return ordered.map(({ roomId, frame }) => ({ roomId, frame }));
}
