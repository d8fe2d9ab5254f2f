import { subjects } from '@chat/contracts';
import { createTestEnv, eventually, type TestEnv } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followStream } from './follow.ts';
import { connect, jetstream, jetstreamManager, type JsMsg, type NatsConnection } from './nats.ts';
import { ensureEventStream } from './stream.ts';

let env: TestEnv;
let nc: NatsConnection;
let stream: string;
let subject: string;

beforeAll(async () => {
  env = await createTestEnv();
  nc = await connect({ servers: env.natsUrl });
  const s = subjects(env.namespace);
  await ensureEventStream(await jetstreamManager(nc), s);
  stream = s.stream;
  subject = s.events.room('follow');
  const js = jetstream(nc);
  await Promise.all(Array.from({ length: 1000 }, (_, i) => js.publish(subject, String(i))));
});
afterAll(async () => {
  await nc?.close();
  await env?.cleanup();
});

describe('following the log with a prepare step', () => {
  it('a backlog several pulls long comes prepared, in order, each message once, while a slow taker takes it', async () => {
    const taken: number[] = [];
    let largest = 0;
    const follower = followStream(nc, {
      stream,
      fromSeq: 1,
      batch: 100,
      prepare: (m: JsMsg) => ({ seq: m.seq, text: new TextDecoder().decode(m.data) }),
      onBatch: async (items) => {
        largest = Math.max(largest, items.length);
        for (const item of items) taken.push(Number(item.text));
        await new Promise((r) => setTimeout(r, 5));
      },
    });
    try {
      // The position moves once a run is taken: after its onBatch has returned, not as it starts.
      await eventually(() => (follower.position >= 1000 ? true : undefined), 'the backlog taken', 20_000);
      expect(taken).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      // What waits stays bounded by the pull size: under two pulls per run.
      expect(largest).toBeLessThan(200);
      expect(follower.position).toBe(1000);
    } finally {
      await follower.stop();
    }
  });

  it('`waiting` lets more pulls wait for a slow taker, still bounded: runs grow past two pulls, never past waiting and one pull', async () => {
    const taken: number[] = [];
    let largest = 0;
    const follower = followStream(nc, {
      stream,
      fromSeq: 1,
      batch: 100,
      waiting: 300,
      onBatch: async (msgs) => {
        largest = Math.max(largest, msgs.length);
        for (const m of msgs) taken.push(Number(new TextDecoder().decode(m.data)));
        await new Promise((r) => setTimeout(r, 50));
      },
    });
    try {
      await eventually(() => (follower.position >= 1000 ? true : undefined), 'the backlog taken', 20_000);
      expect(taken).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      expect(largest).toBeGreaterThan(200);
      expect(largest).toBeLessThan(400);
    } finally {
      await follower.stop();
    }
  });

  it('a prepare that throws stops following with its error, and nothing after the message is taken', async () => {
    const taken: number[] = [];
    const follower = followStream(nc, {
      stream,
      fromSeq: 1,
      batch: 100,
      prepare: (m: JsMsg) => {
        if (m.seq === 250) throw new Error('cannot prepare 250');
        return m.seq;
      },
      onBatch: async (seqs) => {
        taken.push(...seqs);
      },
    });
    await expect(follower.done).rejects.toThrow('cannot prepare 250');
    expect(taken.every((seq) => seq < 250)).toBe(true);
    expect(follower.position).toBeLessThan(250);
  });
});

describe('following the log with a linger (group commit)', () => {
  const published = async (n: number) => {
    const js = jetstream(nc);
    for (let i = 0; i < n; i++) await js.publish(subject, `linger ${i}`);
  };
  const tail = async () => (await (await jetstreamManager(nc)).streams.info(stream)).state.last_seq + 1;

  it('a run shorter than the batch waits out its linger, and goes over whole when hurried', async () => {
    const runs: number[][] = [];
    const follower = followStream(nc, {
      stream,
      fromSeq: await tail(),
      batch: 100,
      lingerMs: 60_000,
      onBatch: async (msgs) => {
        runs.push(msgs.map((m) => m.seq));
      },
    });
    try {
      await published(3);
      await new Promise((r) => setTimeout(r, 300));
      expect(runs).toEqual([]);
      follower.hurry();
      await eventually(() => (runs.length > 0 ? true : undefined), 'the run handed over');
      expect(runs).toHaveLength(1);
      expect(runs[0]).toHaveLength(3);
    } finally {
      await follower.stop();
    }
  });

  it('a full batch, or a taker that says it is urgent, ends the linger at once', async () => {
    const runs: number[][] = [];
    let urgent = false;
    const follower = followStream(nc, {
      stream,
      fromSeq: await tail(),
      batch: 4,
      lingerMs: 60_000,
      urgent: () => urgent,
      onBatch: async (msgs) => {
        runs.push(msgs.map((m) => m.seq));
      },
    });
    try {
      await published(4);
      await eventually(() => (runs.length === 1 ? true : undefined), 'the full batch handed over');
      expect(runs[0]).toHaveLength(4);
      urgent = true;
      await published(1);
      await eventually(() => (runs.length === 2 ? true : undefined), 'the urgent run handed over');
      expect(runs[1]).toEqual([runs[0]![3]! + 1]);
    } finally {
      await follower.stop();
    }
  });
});

describe('a pull ended by the server', () => {
  it('a message read together with the error that ends its pull is still taken, and nothing after it is skipped', async () => {
    // A pull can end with an error status (a 409 such as "Leadership Change") read in the same
    // chunk as the message before it. The client library has moved its ordered consumer past that
    // message by then, and the consumer on the server has delivered it: were the message dropped
    // with the error, the next pull would start after it. The library queues the error behind
    // what it has already queued (nats.js 3.4); this pins that, at the library's own seam, on a
    // real server: the fetch is stopped with that error as the message is queued.
    const consumer = await jetstream(nc).consumers.get(stream);
    const proto = Object.getPrototypeOf(consumer) as { fetch: (...args: unknown[]) => Promise<unknown> };
    const fetch = proto.fetch;
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    const first = info.state.last_seq + 1;
    let interrupted = false;
    proto.fetch = async function (this: unknown, ...args: unknown[]) {
      const messages = (await fetch.apply(this, args)) as { _push(v: unknown): void; stop(err?: Error): void };
      const push = messages._push.bind(messages);
      messages._push = (v: unknown) => {
        push(v);
        if (!interrupted && (v as Partial<JsMsg>).seq === first + 1) {
          interrupted = true;
          messages.stop(new Error('409 Leadership Change'));
        }
      };
      return messages;
    };
    const taken: number[] = [];
    const follower = followStream(nc, {
      stream,
      fromSeq: first,
      batch: 10,
      onBatch: async (msgs) => {
        taken.push(...msgs.map((m) => m.seq));
      },
    });
    try {
      const js = jetstream(nc);
      await js.publish(subject, 'before');
      await eventually(() => (follower.position >= first ? true : undefined), 'the first message taken', 10_000);
      await js.publish(subject, 'with the error');
      await eventually(() => (interrupted ? true : undefined), 'the pull ended', 10_000);
      await js.publish(subject, 'after');
      await eventually(() => (follower.position >= first + 2 ? true : undefined), 'the last message taken', 10_000);
      expect(taken).toEqual([first, first + 1, first + 2]);
    } finally {
      proto.fetch = fetch;
      await follower.stop();
    }
  });
});

describe('stopping a follower', () => {
  it('stopped while its pull is being made, it ends without taking anything more', async () => {
    // An ordered consumer that was reset makes its new server-side consumer inside `fetch`: a
    // round trip, simulated here by holding every fetch back for 300 ms.
    const consumer = await jetstream(nc).consumers.get(stream);
    const proto = Object.getPrototypeOf(consumer) as { fetch: (...args: unknown[]) => Promise<unknown> };
    const fetch = proto.fetch;
    let fetching!: () => void;
    const inFetch = new Promise<void>((r) => (fetching = r));
    proto.fetch = async function (this: unknown, ...args: unknown[]) {
      fetching();
      await new Promise((r) => setTimeout(r, 300));
      return fetch.apply(this, args);
    };
    const taken: number[] = [];
    try {
      const info = await (await jetstreamManager(nc)).streams.info(stream);
      const follower = followStream(nc, {
        stream,
        fromSeq: info.state.last_seq + 1,
        batch: 10,
        onBatch: async (msgs) => {
          taken.push(...msgs.map((m) => m.seq));
        },
      });
      await inFetch;
      const stopping = follower.stop();
      await jetstream(nc).publish(subject, 'after stop');
      // Before, the pull made after stop() was followed until it expired (10 s), and what it
      // brought was handed over.
      const stoppedInTime = await Promise.race([stopping.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
      expect(stoppedInTime).toBe(true);
      expect(taken).toEqual([]);
    } finally {
      proto.fetch = fetch;
    }
  });
});
