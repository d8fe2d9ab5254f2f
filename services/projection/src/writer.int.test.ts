import { connect, ensureEventStream, headers, jetstream, jetstreamManager, type NatsConnection, streamIdentity } from '@chat/bus';
import { subjects } from '@chat/contracts';
import { createDb, ensureDatabase, migrateToLatest, sql } from '@chat/db';
import { createLogger } from '@chat/runtime';
import { createTestEnv, type TestEnv } from '@chat/testkit';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetReadModels } from './db/checkpoint.ts';
import { deadLetters } from './db/dead-letters.ts';
import { migrations } from './db/migrations.ts';
import { type Database, SCHEMA } from './db/schema.ts';
import { STALL_MS, Writer } from './writer.ts';

let env: TestEnv;
let nc: NatsConnection;
let db: Kysely<Database>;

beforeAll(async () => {
  env = await createTestEnv();
  nc = await connect({ servers: env.natsUrl });
  await ensureDatabase(env.databaseUrl);
  db = createDb<Database>(env.databaseUrl);
  await migrateToLatest(db, SCHEMA, migrations);
});

afterAll(async () => {
  await db?.destroy();
  await nc?.close();
  await env?.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A logger whose lines are handed to `on` as they are written. */
const loggerTo = (on: (line: { level: string; msg: string }) => void) => createLogger('projection', 'info', { write: (line: string) => on(JSON.parse(line)) });

describe('the writer', () => {
  it('stopped while it replaces a stalled consumer, and started again, runs one follower, and none once stopped', async () => {
    // A stream that is not there: its follower never hears a thing, so the watchdog replaces it
    // after STALL_MS (as while JetStream is away). Right then the writer is stopped and started
    // again (a lease lost and won back, a rebuild).
    const s = subjects(`${env.namespace}_missing`);
    let resets = 0;
    let restarted: Promise<void> | null = null;
    const writer: Writer = new Writer({
      nc,
      db,
      s,
      name: 'stall-restart',
      identity: async () => ({ name: s.stream, created: '2020-01-01T00:00:00Z', lastSeq: 0 }),
      log: loggerTo(({ msg }) => {
        if (msg === 'writer consumer recreated') resets++;
        if (msg.startsWith('writer consumer stalled')) {
          restarted ??= sleep(0).then(async () => {
            await writer.stop();
            await writer.start();
          });
        }
      }),
    });
    await writer.start();
    for (let waited = 0; !restarted && waited < STALL_MS + 5000; waited += 50) await sleep(50);
    expect(restarted).not.toBeNull();
    await restarted;
    await sleep(1000);
    await writer.stop();
    await sleep(300);
    const afterStop = resets;
    await sleep(1500);
    // Before the fix, the replaced follower's successor was made after stop() and kept retrying.
    expect(resets).toBe(afterStop);
  }, 30_000);

  it('answers a reader waiting for events that the checkpoint holds, though this copy did not see them committed', async () => {
    const s = subjects(`${env.namespace}_lost_reply`);
    const jsm = await jetstreamManager(nc);
    await ensureEventStream(jsm, s);
    const writer = new Writer({
      nc,
      db,
      s,
      name: 'lost-reply',
      lingerMs: 60_000,
      identity: () => streamIdentity(jsm, s.stream),
      log: loggerTo(() => undefined),
    });
    await writer.start();
    try {
      // Seq 1, unreadable: a dead letter, applied all the same. It waits out its linger.
      await jetstream(nc).publish(s.events.messages('r'), 'not an event');
      await sleep(300);
      // Its transaction committed but the reply was lost (the connection dropped): the
      // checkpoint holds seq 1 already, and the writer's retry is out of step with it.
      await sql`UPDATE projection.checkpoint SET seq = 1 WHERE name = 'lost-reply'`.execute(db);
      const answered = await writer.waitFor(1, 5000);
      expect(writer.position).toBe(1);
      expect(answered).toBe(true);
    } finally {
      await writer.stop();
    }
  }, 30_000);

  it('a copy standing by does not answer from what it saw before a rebuild emptied the read models', async () => {
    const s = subjects(`${env.namespace}_standby`);
    const jsm = await jetstreamManager(nc);
    await ensureEventStream(jsm, s);
    const options = { nc, db, s, name: 'standby', lingerMs: 0, identity: () => streamIdentity(jsm, s.stream), log: loggerTo(() => undefined) };
    const active = new Writer(options);
    const standby = new Writer(options);
    await active.start();
    try {
      await jetstream(nc).publish(s.events.messages('r'), 'not an event');
      await jetstream(nc).publish(s.events.messages('r'), 'not an event either');
      expect(await active.waitFor(2, 5000)).toBe(true);
      // The standby learns the active copy's progress from the checkpoint.
      expect(await standby.waitFor(2, 5000)).toBe(true);
      // A rebuild on the active copy: the read models emptied, the checkpoint back to 0.
      await active.stop();
      await resetReadModels(db, 'standby', await streamIdentity(jsm, s.stream));
      // Before, the standby answered at once from the position it had seen: reads through it came
      // from empty tables while the rebuild ran.
      expect(await standby.waitFor(2, 300)).toBe(false);
      expect(standby.position).toBe(0);
    } finally {
      await active.stop();
    }
  }, 30_000);

  it('an unreadable event goes to the dead letters as stored, under the type its header names, and the log goes on', async () => {
    const s = subjects(`${env.namespace}_unreadable`);
    const jsm = await jetstreamManager(nc);
    await ensureEventStream(jsm, s);
    const writer = new Writer({ nc, db, s, name: 'unreadable', lingerMs: 0, identity: () => streamIdentity(jsm, s.stream), log: loggerTo(() => undefined) });
    await writer.start();
    try {
      const h = headers();
      h.set('Chat-Event-Type', 'MessagePosted');
      const js = jetstream(nc);
      const bad = await js.publish(s.events.messages('r'), 'not an event', { headers: h });
      const after = await js.publish(s.events.messages('r'), 'nor this');
      expect(await writer.waitFor(after.seq, 5000)).toBe(true);
      const letters = await deadLetters.list(db, 'unreadable');
      // Newest first.
      expect(letters.map(({ seq, subject, type, event }) => ({ seq, subject, type, event }))).toEqual([
        { seq: after.seq, subject: s.events.messages('r'), type: null, event: 'nor this' },
        { seq: bad.seq, subject: s.events.messages('r'), type: 'MessagePosted', event: 'not an event' },
      ]);
      expect(letters[1]!.error).toMatch(/JSON/);
    } finally {
      await writer.stop();
    }
  }, 30_000);

  it('started twice at once (two rebuilds asked together), follows the log once, and not at all once stopped', async () => {
    const s = subjects(`${env.namespace}_twice`);
    const jsm = await jetstreamManager(nc);
    await ensureEventStream(jsm, s);
    const writer = new Writer({ nc, db, s, name: 'twice', lingerMs: 0, identity: () => streamIdentity(jsm, s.stream), log: loggerTo(() => undefined) });
    await Promise.all([writer.start(), writer.start()]);
    const consumers = async () => (await jsm.consumers.list(s.stream).next()).length;
    for (let waited = 0; (await consumers()) === 0 && waited < 5000; waited += 50) await sleep(50);
    expect(await consumers()).toBe(1);
    await writer.stop();
    // Before, the first start's follower was left behind: never stopped, its consumer still there.
    for (let waited = 0; (await consumers()) > 0 && waited < 5000; waited += 50) await sleep(50);
    expect(await consumers()).toBe(0);
  }, 30_000);
});
