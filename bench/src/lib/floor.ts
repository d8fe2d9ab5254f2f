import { connect, jetstream, jetstreamManager, StorageType } from '@chat/bus';
import pg from 'pg';
import { round, timeEach } from './histogram.ts';
import { forkTs } from './proc.ts';
import { RawSocket } from './raw-ws.ts';

export interface Floor {
  /** Median JetStream publish → ack round trip (file storage), ms. */
  jetstreamAck: number;
  /** Median one-row Postgres transaction (BEGIN, INSERT, COMMIT), ms. */
  postgresCommit: number;
  /** Median client frame → bare uWS `app.publish` → the client, ms. */
  uwsDelivery: number;
  /** What the live path cannot do without: the JetStream ack and the uWS delivery (no Postgres). */
  total: number;
}

/**
 * The least an end-to-end message can cost here, measured in the same run: one JetStream
 * publish-ack round trip and one raw uWS delivery, each the median of `n`. A one-row Postgres
 * commit is measured beside them but is not part of the floor: live frames do not wait for it.
 */
export async function measureFloor(natsUrl: string, databaseUrl: string, ns: string, n: number): Promise<Floor> {
  const nc = await connect({ servers: natsUrl, name: 'bench-floor' });
  const jsm = await jetstreamManager(nc);
  const stream = `BENCH_FLOOR_${ns.toUpperCase()}`;
  let jetstreamAck: number;
  try {
    await jsm.streams.add({ name: stream, subjects: [`${ns}_floor.>`], storage: StorageType.File });
    const js = jetstream(nc);
    const payload = new Uint8Array(300);
    jetstreamAck = (await timeEach(n, () => js.publish(`${ns}_floor.x`, payload))).percentile(50);
  } finally {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
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

  const bare = forkTs('servers/bare-uws.ts');
  let uwsDelivery: number;
  try {
    const { port } = await bare.call<{ port: number }>('port');
    let waiting: (() => void) | null = null;
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const ws = await RawSocket.open(`ws://127.0.0.1:${port}/room/floor`, {
      onMessage: (s, start) => (s.charCodeAt(start + 9) === 0x72 ? ready() : waiting?.()),
    });
    await isReady;
    uwsDelivery = (
      await timeEach(
        n,
        () =>
          new Promise<void>((resolve) => {
            waiting = resolve;
            ws.send('{"type":"message","content":"floor"}');
          }),
      )
    ).percentile(50);
    ws.destroy();
  } finally {
    await bare.stop();
  }
  const r = (x: number) => round(x, 3);
  return {
    jetstreamAck: r(jetstreamAck),
    postgresCommit: r(postgresCommit),
    uwsDelivery: r(uwsDelivery),
    total: r(jetstreamAck + uwsDelivery),
  };
}
