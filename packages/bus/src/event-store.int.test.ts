import { connect, jetstreamManager, type NatsConnection } from '@chat/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjects, type EventMeta } from '@chat/contracts';
import { createTestEnv, type TestEnv } from '@chat/testkit';
import { ConcurrencyError, EventStore } from './event-store.ts';
import { ensureEventStream } from './stream.ts';

let env: TestEnv;
let nc: NatsConnection;
let store: EventStore;
const meta: EventMeta = { correlation_id: 'c1', causation_id: null, actor: 'ann' };
const now = new Date('2026-01-01T00:00:00Z');

beforeAll(async () => {
  env = await createTestEnv();
  nc = await connect({ servers: env.natsUrl });
  const s = subjects(env.namespace);
  await ensureEventStream(await jetstreamManager(nc), s);
  await ensureEventStream(await jetstreamManager(nc), s); // idempotent
  store = await EventStore.open(nc, s.stream);
});
afterAll(async () => {
  await nc?.close();
  await env?.cleanup();
});

describe('event store on JetStream', () => {
  it('appends with an expected position and refuses a stale one', async () => {
    const subject = subjects(env.namespace).events.room('r1');
    const first = await store.append(subject, { type: 'UserJoined', data: { room_id: 'r1', user_id: 'ann' } }, { expectedLastSeq: 0, meta, now });
    await expect(
      store.append(subject, { type: 'UserJoined', data: { room_id: 'r1', user_id: 'bob' } }, { expectedLastSeq: 0, meta, now }),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    const second = await store.append(subject, { type: 'UserJoined', data: { room_id: 'r1', user_id: 'bob' } }, { expectedLastSeq: first.seq, meta, now });
    const { events, lastSeq } = await store.read(subject);
    expect(lastSeq).toBe(second.seq);
    expect(events.map((e) => (e.event.data as { user_id: string }).user_id)).toEqual(['ann', 'bob']);
    expect((await store.read(subject, second.seq)).events.map((e) => e.seq)).toEqual([second.seq]);
    expect((await store.read(subject, second.seq + 1)).events).toEqual([]);
  });

  it('drops a duplicate msgID and names the original', async () => {
    const subject = subjects(env.namespace).events.messages('r2');
    const draft = { type: 'MessagePosted' as const, data: { room_id: 'r2', message_id: 'm1', user_id: 'ann', content: 'hi', client_msg_id: 'c1' } };
    const a = await store.append(subject, draft, { msgId: 'r2:ann:c1', meta, now });
    const b = await store.append(subject, { ...draft, data: { ...draft.data, message_id: 'm2' } }, { msgId: 'r2:ann:c1', meta, now });
    expect(b).toMatchObject({ seq: a.seq, duplicate: true });
    expect(((await store.get(a.seq)).event.data as { message_id: string }).message_id).toBe('m1');
  });

  it('validates on write: an invalid event never reaches the log', async () => {
    const subject = subjects(env.namespace).events.room('r3');
    await expect(store.append(subject, { type: 'UserJoined', data: { room_id: 'r3', user_id: 'a.b' } }, { meta, now })).rejects.toThrow();
    expect(await store.lastSeq(subject)).toBe(0);
  });
});
