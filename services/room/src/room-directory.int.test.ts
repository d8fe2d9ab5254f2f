import { AggregateRepository, connect, EventStore, ensureEventStream, jetstreamManager, type NatsConnection, runCommand } from '@chat/bus';
import { type RoomEvent, subjects } from '@chat/contracts';
import { createTestEnv, type TestEnv } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, evolve, initialState, isMember, type RoomState } from './domain/room.ts';
import { RoomDirectory } from './room-directory.ts';

// Two copies of the room service, as two directories over their own repositories: what one
// appends, the other must act on within the staleness bound, and at once for a join.
let env: TestEnv;
let nc: NatsConnection;
let store: EventStore;
const s = () => subjects(env.namespace);
const meta = { correlation_id: 'c', causation_id: null, actor: null };
const repo = () => new AggregateRepository<RoomState, RoomEvent>(store, { subject: s().events.room, initialState, evolve });
const act = (r: AggregateRepository<RoomState, RoomEvent>, type: 'JoinRoom' | 'LeaveRoom', room: string, user: string) =>
  runCommand(r, room, (state) => decide({ type, data: { room_id: room, user_id: user } }, state), { meta, now: () => new Date() });

beforeAll(async () => {
  env = await createTestEnv();
  nc = await connect({ servers: env.natsUrl });
  await ensureEventStream(await jetstreamManager(nc), s());
  store = await EventStore.open(nc, s().stream);
});
afterAll(async () => {
  await nc?.close();
  await env?.cleanup();
});

describe('membership in memory (RoomDirectory)', () => {
  it('a copy that last saw the room without the user admits their post right after a join through another copy', async () => {
    const a = repo();
    const b = new RoomDirectory(repo(), nc, s(), { invalidate: false, staleMs: 60_000 });
    await act(a, 'JoinRoom', 'r1', 'owner');
    expect(isMember(await b.forPost('r1', 'ann'), 'ann')).toBe(false);
    await act(a, 'JoinRoom', 'r1', 'ann');
    // No notice reached b and its entry is fresh: the "not a member" is checked against the log.
    expect(isMember(await b.forPost('r1', 'ann'), 'ann')).toBe(true);
    b.close();
  });

  it('without any notice, a leave through another copy is honoured once the bound has passed', async () => {
    let now = 1_000_000;
    const a = repo();
    const b = new RoomDirectory(repo(), nc, s(), { invalidate: false, staleMs: 1000, clock: () => now });
    await act(a, 'JoinRoom', 'r2', 'bob');
    expect(isMember(await b.forPost('r2', 'bob'), 'bob')).toBe(true);
    await act(a, 'LeaveRoom', 'r2', 'bob');
    now += 999;
    // Within the bound, from memory: still a member (the staleness this design allows).
    expect(isMember(await b.forPost('r2', 'bob'), 'bob')).toBe(true);
    now += 2;
    expect(isMember(await b.forPost('r2', 'bob'), 'bob')).toBe(false);
    b.close();
  });

  it('with notices on (as the service runs), a leave through another copy is honoured at once', async () => {
    const a = repo();
    const da = new RoomDirectory(a, nc, s(), { staleMs: 60_000 });
    const b = new RoomDirectory(repo(), nc, s(), { staleMs: 60_000 });
    await act(a, 'JoinRoom', 'r3', 'cat');
    da.appended('r3', Date.now());
    expect(isMember(await b.forPost('r3', 'cat'), 'cat')).toBe(true);
    await act(a, 'LeaveRoom', 'r3', 'cat');
    // The room service tells the other copies after each append.
    da.appended('r3', Date.now());
    await nc.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(isMember(await b.forPost('r3', 'cat'), 'cat')).toBe(false);
    b.close();
    da.close();
  });

  it('a slow read of the log never puts an older state of the room back in memory', async () => {
    // A copy whose reads can be held back after they have read the log.
    let hold: Promise<void> | null = null;
    const slowStore = Object.create(store, {
      read: {
        value: async (subject: string, from?: number) => {
          const held = hold;
          const read = await store.read(subject, from);
          if (held) await held;
          return read;
        },
      },
    }) as EventStore;
    const b = new AggregateRepository<RoomState, RoomEvent>(slowStore, { subject: s().events.room, initialState, evolve });
    const a = repo();
    await act(a, 'JoinRoom', 'r9', 'owner');
    await act(a, 'JoinRoom', 'r9', 'ann');
    await b.load('r9');
    await act(a, 'JoinRoom', 'r9', 'bob');
    let release!: () => void;
    hold = new Promise((r) => (release = r));
    // Reads the log now (Bob's join), comes back after Ann's leave has been read by another load.
    const slow = b.load('r9');
    hold = null;
    await new Promise((r) => setTimeout(r, 50));
    await act(a, 'LeaveRoom', 'r9', 'ann');
    expect(isMember((await b.load('r9')).state, 'ann')).toBe(false);
    release();
    await slow;
    // Before, the slow read's state (Ann still a member) replaced the newer one.
    expect(isMember(b.peek('r9')!.state, 'ann')).toBe(false);
  });
});
