import { connect, jetstream, jetstreamManager, StorageType } from '@chat/bus';
import pg from 'pg';
import { round, timeEach } from './histogram.ts';
import { forkTs } from './proc.ts';
import { RawSocket } from './raw-ws.ts';

/**
 * One post at a time means a pause between posts, and a pause lets every process on the path go
 * idle: waking them costs more than a tight loop shows (a JetStream publish-ack took 0.3 ms back to
 * back and 0.9 ms 10 ms apart on the same machine). The floor and the one-post probe are therefore
 * timed with the same pause.
 */
export const ONE_AT_A_TIME_GAP_MS = 10;

export interface FloorParts {
  /** Median JetStream publish → ack round trip (file storage), ms. */
  jetstreamAck: number;
  /** Median core NATS request → answer from another process (what a call to the decider costs), ms. */
  natsHop: number;
  /** Median client frame → bare uWS `app.publish` → the client, ms. */
  uwsDelivery: number;
  /** The sum: what the live path cannot do without. */
  total: number;
}

export interface Floor extends FloorParts {
  /** Median one-row Postgres transaction (BEGIN, INSERT, COMMIT), ms: not part of the floor. */
  postgresCommit: number;
  /** The same medians timed back to back, with every process awake: for comparison. */
  backToBack: FloorParts;
}

/**
 * The least an end-to-end message can cost here, measured in the same run: a JetStream
 * publish-ack round trip, a NATS request to another process, and a raw uWS delivery, each the
 * median of `n` tries `ONE_AT_A_TIME_GAP_MS` apart (as the one-post probe is), and again back to
 * back. A one-row Postgres commit is measured beside them but is not part of the floor: live
 * frames do not wait for it.
 */
export async function measureFloor(natsUrl: string, databaseUrl: string, ns: string, n: number): Promise<Floor> {
  const both = async (f: () => Promise<unknown>) => ({
    paced: (await timeEach(n, f, undefined, ONE_AT_A_TIME_GAP_MS)).percentile(50),
    tight: (await timeEach(n, f)).percentile(50),
  });

  const bare = forkTs('servers/bare-uws.ts');
  const nc = await connect({ servers: natsUrl, name: 'bench-floor', noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  const stream = `BENCH_FLOOR_${ns.toUpperCase()}`;
  let jetstreamAck: { paced: number; tight: number };
  let natsHop: { paced: number; tight: number };
  let uwsDelivery: { paced: number; tight: number };
  try {
    await jsm.streams.add({ name: stream, subjects: [`${ns}_floor.>`], storage: StorageType.File });
    const js = jetstream(nc);
    const payload = new Uint8Array(300);
    jetstreamAck = await both(() => js.publish(`${ns}_floor.x`, payload));
    await bare.call('echo', { natsUrl, subject: `${ns}_floor.echo` });
    natsHop = await both(() => nc.request(`${ns}_floor.echo`, payload, { timeout: 5000 }));

    const { port } = await bare.call<{ port: number }>('port');
    let waiting: (() => void) | null = null;
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const ws = await RawSocket.open(`ws://127.0.0.1:${port}/room/floor`, {
      onMessage: (s, start) => (s.charCodeAt(start + 9) === 0x72 ? ready() : waiting?.()),
    });
    await isReady;
    uwsDelivery = await both(
      () =>
        new Promise<void>((resolve) => {
          waiting = resolve;
          ws.send('{"type":"message","content":"floor"}');
        }),
    );
    ws.destroy();
  } finally {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
    await bare.stop();
  }

  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  let postgresCommit: number;
  try {
    await db.query('CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, body text NOT NULL)');
    postgresCommit = (
      await timeEach(n, async () => {
        await db.query('BEGIN');
        await db.query('INSERT INTO bench_floor (body) VALUES ($1)', ['x'.repeat(200)]);
        await db.query('COMMIT');
      })
    ).percentile(50);
    await db.query('DROP TABLE bench_floor');
  } finally {
    await db.end();
  }

  const parts = (k: 'paced' | 'tight'): FloorParts => {
    const r = (x: number) => round(x, 3);
    return {
      jetstreamAck: r(jetstreamAck[k]),
      natsHop: r(natsHop[k]),
      uwsDelivery: r(uwsDelivery[k]),
      total: r(jetstreamAck[k] + natsHop[k] + uwsDelivery[k]),
    };
  };
  return { ...parts('paced'), postgresCommit: round(postgresCommit, 3), backToBack: parts('tight') };
}
