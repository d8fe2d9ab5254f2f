/**
 * Three ways a live frame can reach a socket once JetStream has stored its event, built small and
 * side by side in one uWebSockets.js process, so that scenario 7 can time each from the same
 * client, in the same run:
 *
 * - `projection`: a consumer applies the event to Postgres (message row and checkpoint in one
 *   transaction), then publishes the frame on a NATS subject; a subscriber hands it to the
 *   room's topic. The design this system had first: the projection publishes after its commit.
 * - `after-ack`: whoever appended the event publishes the frame on a NATS subject as soon as
 *   JetStream acks (the room service would, after its post); a subscriber hands it to the topic.
 * - `follow-log`: the uWS process follows the log itself with an ordered consumer and hands each
 *   event, turned into a frame, to the topic. The design the gateway uses.
 *
 * Each design has a stream of its own. Frames carry the event's seq and its content untouched.
 */
import { createRequire } from 'node:module';
import { connect, followStream, jetstreamManager, type JsMsg, StorageType } from '@chat/bus';
import pg from 'pg';
import type * as Uws from 'uWebSockets.js';
import { serveParent } from '../lib/proc.ts';

const uws = createRequire(import.meta.url)('uWebSockets.js') as typeof Uws;

type Design = 'projection' | 'after-ack' | 'follow-log';

const decoder = new TextDecoder();
const frameOf = (seq: number, data: Uint8Array) => `{"type":"message","seq":${seq},"event":${decoder.decode(data)}}`;

async function main() {
  const app = uws.App();
  app.ws('/*', {
    compression: 0,
    open: (ws) => {
      ws.subscribe('room');
      ws.send('{"type":"ready","cursor":0}');
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (s) => (s ? resolve(uws.us_socket_local_port(s)) : reject(new Error('cannot listen')))),
  );
  const stops: (() => Promise<unknown>)[] = [];

  serveParent({
    port: () => ({ port }),
    async start(a: { natsUrl: string; databaseUrl: string; ns: string }) {
      const nc = await connect({ servers: a.natsUrl, name: 'bench-live-designs', noAsyncTraces: true });
      const jsm = await jetstreamManager(nc);
      const db = new pg.Client({ connectionString: a.databaseUrl });
      await db.connect();
      await db.query('CREATE TABLE IF NOT EXISTS bench_live_messages (seq bigint PRIMARY KEY, body text NOT NULL)');
      await db.query('CREATE TABLE IF NOT EXISTS bench_live_checkpoint (id int PRIMARY KEY, seq bigint NOT NULL)');
      await db.query('INSERT INTO bench_live_checkpoint VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET seq = 0');
      const liveSubject = `${a.ns}_live_frames`;
      const toTopic = (frame: string): void => {
        app.publish('room', frame, false);
      };
      const sub = nc.subscribe(liveSubject, { callback: (_err, msg) => toTopic(decoder.decode(msg.data)) });

      const follow = async (design: Design, apply: (msg: JsMsg) => Promise<void>) => {
        const stream = streamOf(a.ns, design);
        await jsm.streams.add({ name: stream, subjects: [`${a.ns}_${design}.>`], storage: StorageType.File });
        const follower = followStream(nc, {
          stream,
          fromSeq: 1,
          batch: 100,
          onBatch: async (msgs) => {
            for (const msg of msgs) await apply(msg);
          },
        });
        stops.push(async () => {
          await follower.stop();
          await jsm.streams.delete(stream).catch(() => undefined);
        });
      };
      await follow('projection', async (msg) => {
        await db.query('BEGIN');
        await db.query('INSERT INTO bench_live_messages (seq, body) VALUES ($1, $2)', [msg.seq, decoder.decode(msg.data)]);
        await db.query('UPDATE bench_live_checkpoint SET seq = $1 WHERE id = 1', [msg.seq]);
        await db.query('COMMIT');
        nc.publish(liveSubject, frameOf(msg.seq, msg.data));
      });
      await follow('follow-log', async (msg) => toTopic(frameOf(msg.seq, msg.data)));
      // after-ack: the appender publishes the frame itself; its stream only stores the events.
      const afterAck = streamOf(a.ns, 'after-ack');
      await jsm.streams.add({ name: afterAck, subjects: [`${a.ns}_after-ack.>`], storage: StorageType.File });
      stops.push(() => jsm.streams.delete(afterAck).catch(() => undefined));
      stops.push(async () => {
        sub.unsubscribe();
        await db.query('DROP TABLE IF EXISTS bench_live_messages, bench_live_checkpoint');
        await db.end();
        await nc.close();
      });
      await nc.flush();
      return { liveSubject };
    },
    async stop() {
      for (const stop of stops.reverse()) await stop();
      setTimeout(() => process.exit(0), 10);
      return {};
    },
  });
}

const streamOf = (ns: string, design: Design) => `BENCH_LIVE_${design.replace('-', '_').toUpperCase()}_${ns.toUpperCase()}`;

void main();
