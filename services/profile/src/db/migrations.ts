import { sql, type Kysely, type Migration } from 'kysely';

// Migrations are frozen in time: they use `Kysely<any>`, never today's table types.
export const migrations: Record<string, Migration> = {
  '2026-12-01T00-00_avatars': {
    async up(db: Kysely<any>) {
      await db
        .withSchema('profile')
        .schema.createTable('avatars')
        .addColumn('key', 'text', (c) => c.primaryKey().check(sql`key ~ '^[a-f0-9]{64}$'`))
        .addColumn('size_256', 'bytea', (c) => c.notNull())
        .addColumn('size_64', 'bytea', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.withSchema('profile').schema.dropTable('avatars').ifExists().execute();
    },
  },
};
