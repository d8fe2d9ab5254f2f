import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

export interface DeadLetter {
  seq: number;
  subject: string;
  type: string | null;
  /** The event as stored, with anything unprintable escaped. */
  event: string;
  error: string;
  failed_at: string;
}

/** Control characters as `\uXXXX`, so a dead letter can be read and copied as text. */
const printable = (text: string): string =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
  text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

export const deadLetters = Object.freeze({
  async add(trx: Transaction<Database>, name: string, d: { seq: number; subject: string; type: string | null; event: Uint8Array; error: string }) {
    await trx
      .insertInto('projection.dead_letters')
      .values({ name, seq: d.seq, subject: d.subject, type: d.type, event: Buffer.from(d.event), error: d.error.slice(0, 2000) })
      .onConflict((oc) => oc.columns(['name', 'seq']).doNothing())
      .execute();
  },

  async list(db: Kysely<Database>, name: string, limit = 100): Promise<DeadLetter[]> {
    const rows = await db.selectFrom('projection.dead_letters').selectAll().where('name', '=', name).orderBy('seq', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      seq: r.seq,
      subject: r.subject,
      type: r.type,
      event: printable(r.event.toString('utf8')),
      error: r.error,
      failed_at: r.failed_at.toISOString(),
    }));
  },

  async count(db: Kysely<Database>, name: string): Promise<number> {
    const row = await db
      .selectFrom('projection.dead_letters')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  },
});
