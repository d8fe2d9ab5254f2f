import { sql, type Kysely, type Migration } from 'kysely';

// Migrations are frozen in time: they use `Kysely<any>`, never today's table types.

/** Every column holding an id, by table (as of `2026-12-03T00-00_ids_compared_as_bytes`). */
const ID_COLUMNS: Record<string, string[]> = {
  users: ['id'],
  rooms: ['id', 'created_by'],
  members: ['room_id', 'user_id'],
  messages: ['id', 'room_id', 'user_id', 'client_msg_id'],
  read_markers: ['user_id', 'room_id'],
  invitations: ['room_id', 'user_id', 'invited_by'],
};

export const migrations: Record<string, Migration> = {
  '2026-11-27T00-00_read_models': {
    async up(db: Kysely<any>) {
      const p = db.withSchema('projection').schema;
      await p
        .createTable('checkpoint')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .execute();
      await p
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('avatar_url', 'text', (c) => c.notNull())
        .addColumn('avatar_kind', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .execute();
      await p
        .createTable('rooms')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('member_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_seq', 'bigint', (c) => c.notNull())
        .execute();
      await p
        .createTable('members')
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('joined_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('members_pk', ['room_id', 'user_id'])
        .execute();
      await p.createIndex('members_by_user').on('members').columns(['user_id', 'room_id']).execute();
      await p
        .createTable('messages')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('client_msg_id', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('edited_at', 'timestamptz')
        .addColumn('deleted', 'boolean', (c) => c.notNull().defaultTo(false))
        .execute();
      // History pages are keyset scans of one room by seq, in either direction.
      await p.createIndex('messages_by_room').on('messages').columns(['room_id', 'seq']).execute();
      // A retry outside JetStream's duplicate window still yields one message.
      await sql`CREATE UNIQUE INDEX messages_client_id ON projection.messages (room_id, user_id, client_msg_id) WHERE client_msg_id IS NOT NULL`.execute(db);
    },
    async down(db: Kysely<any>) {
      for (const table of ['messages', 'members', 'rooms', 'users', 'checkpoint']) {
        await db.withSchema('projection').schema.dropTable(table).ifExists().execute();
      }
    },
  },
  '2026-11-30T00-00_stream_identity_fencing_changes_dead_letters': {
    async up(db: Kysely<any>) {
      const p = db.withSchema('projection').schema;
      // Which stream a checkpoint belongs to, and the epoch of the copy allowed to move it.
      await p
        .alterTable('checkpoint')
        .addColumn('stream_name', 'text')
        .addColumn('stream_created', 'text')
        .addColumn('epoch', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      // Each message's last change, for resumes that must deliver edits of older messages.
      await p.alterTable('messages').addColumn('changed_seq', 'bigint').execute();
      await sql`CREATE INDEX messages_changes ON projection.messages (room_id, changed_seq) WHERE changed_seq IS NOT NULL`.execute(db);
      await p
        .createTable('dead_letters')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('type', 'text')
        .addColumn('event', 'bytea', (c) => c.notNull())
        .addColumn('error', 'text', (c) => c.notNull())
        .addColumn('failed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('dead_letters_pk', ['name', 'seq'])
        .execute();
    },
    async down(db: Kysely<any>) {
      const p = db.withSchema('projection').schema;
      await p.dropTable('dead_letters').ifExists().execute();
      await sql`DROP INDEX IF EXISTS projection.messages_changes`.execute(db);
      await p.alterTable('messages').dropColumn('changed_seq').execute();
      await p.alterTable('checkpoint').dropColumn('stream_name').dropColumn('stream_created').dropColumn('epoch').execute();
    },
  },
  '2026-12-01T00-00_visibility_read_markers_reactions': {
    async up(db: Kysely<any>) {
      // Rooms made before visibility existed were public, as their events (which carry none) say.
      const p = db.withSchema('projection').schema;
      await p
        .alterTable('rooms')
        .addColumn('visibility', 'text', (c) => c.notNull().defaultTo('public').check(sql`visibility IN ('public', 'private')`))
        .addColumn('last_message_seq', 'bigint')
        .execute();
      // Where each member joined (unread counts start there), and how far each has read.
      await p.alterTable('members').addColumn('joined_seq', 'bigint').execute();
      // Reactions as the message's last change left them (a few, with their users): one row read.
      await p
        .alterTable('messages')
        .addColumn('reactions', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .execute();
      await p
        .createTable('read_markers')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('read_markers_pk', ['user_id', 'room_id'])
        .execute();
    },
    async down(db: Kysely<any>) {
      const p = db.withSchema('projection').schema;
      await p.dropTable('read_markers').ifExists().execute();
      await p.alterTable('members').dropColumn('joined_seq').execute();
      await p.alterTable('messages').dropColumn('reactions').execute();
      await p.alterTable('rooms').dropColumn('visibility').dropColumn('last_message_seq').execute();
    },
  },
  '2026-12-02T00-00_invitations': {
    async up(db: Kysely<any>) {
      // Invitations waiting for their invitee: a user's list is a keyset scan by seq, newest first.
      const p = db.withSchema('projection').schema;
      await p
        .createTable('invitations')
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('invited_by', 'text', (c) => c.notNull())
        .addColumn('invited_at', 'timestamptz', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('invitations_pk', ['room_id', 'user_id'])
        .execute();
      await p.createIndex('invitations_by_user').on('invitations').columns(['user_id', 'seq']).execute();
    },
    async down(db: Kysely<any>) {
      await db.withSchema('projection').schema.dropTable('invitations').ifExists().execute();
    },
  },
  '2026-12-03T00-00_ids_compared_as_bytes': {
    async up(db: Kysely<any>) {
      // Ids are ASCII (`[A-Za-z0-9_-]`): bytewise order is the order they already had, and their
      // index entries compare with memcmp instead of the database locale's strcoll. A rebuild's
      // message rows cost Postgres about 40% less.
      for (const [table, columns] of Object.entries(ID_COLUMNS)) {
        await sql`ALTER TABLE ${sql.table(`projection.${table}`)} ${sql.join(columns.map((c) => sql`ALTER COLUMN ${sql.ref(c)} TYPE text COLLATE "C"`))}`.execute(
          db,
        );
      }
    },
    async down(db: Kysely<any>) {
      for (const [table, columns] of Object.entries(ID_COLUMNS)) {
        await sql`ALTER TABLE ${sql.table(`projection.${table}`)} ${sql.join(columns.map((c) => sql`ALTER COLUMN ${sql.ref(c)} TYPE text COLLATE "default"`))}`.execute(
          db,
        );
      }
    },
  },
};
