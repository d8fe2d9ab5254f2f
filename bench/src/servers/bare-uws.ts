import { connect } from '@chat/bus';
/**
 * The fan-out baseline: a bare uWebSockets.js server that does the least a live path can do. It
 * subscribes to the same NATS live subjects as the gateway and hands each payload, untouched, to
 * `app.publish` on the room's topic. No auth, no validation, no presence, no resume.
 *
 * It also serves the load generator's capacity check (`/sink/...`: frames are sent as fast as the
 * client reads them, and whatever the client sends is dropped) and the raw-delivery part of the
 * end-to-end floor (a client frame is published to its room's topic, and a NATS request is answered).
 */
import { createRequire } from 'node:module';
import type * as Uws from 'uWebSockets.js';
import { serveParent } from '../lib/proc.ts';

const uws = createRequire(import.meta.url)('uWebSockets.js') as typeof Uws;

interface Data {
  room: string;
  /**
   * `room/<id>`: a room member; `sink/<id>`: gets frames as fast as it reads; `drop/<id>`: its
   * frames are ignored; `storm/<id>/<n>`: gets `n` message frames, then `ready` (the reconnect
   * storm's baseline: what a resume writes, with nothing to look up).
   */
  kind: string;
  frames: number;
}

const SINK_FRAME =
  '{"type":"message","message":{"id":"m_sink","room_id":"sink","user_id":"bench","username":"bench","content":"sink","avatar":"/avatars/default/bench.svg",' +
  '"timestamp":"2026-01-01T00:00:00.000Z","type":"text","seq":1,"client_msg_id":null,"edited_at":null,"deleted":false}}';

async function main() {
  const app = uws.App();
  const sinks = new Set<Uws.WebSocket<Data>>();
  app.ws<Data>('/*', {
    maxPayloadLength: 64 * 1024,
    maxBackpressure: 2 * 1024 * 1024,
    closeOnBackpressureLimit: 1,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    compression: 0,
    upgrade: (res, req, context) => {
      const [, kind, room, frames] = req.getUrl().split('/');
      res.upgrade<Data>(
        { room: room ?? '', kind: kind ?? 'room', frames: Number(frames ?? 0) || 0 },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open: (ws) => {
      const d = ws.getUserData();
      if (d.kind === 'sink') sinks.add(ws);
      else if (d.kind === 'room') ws.subscribe(`room/${d.room}`);
      else if (d.kind === 'storm') {
        ws.cork(() => {
          for (let seq = 1; seq <= d.frames; seq++) ws.send(SINK_FRAME.replace('"seq":1,', `"seq":${seq},`));
        });
        ws.subscribe(`room/${d.room}`);
        ws.send(`{"type":"ready","cursor":${d.frames}}`);
        return;
      }
      ws.send('{"type":"ready","cursor":0}');
    },
    message: (ws, message) => {
      const d = ws.getUserData();
      if (d.kind === 'room') app.publish(`room/${d.room}`, message, false);
    },
    close: (ws) => {
      sinks.delete(ws);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (s) => (s ? resolve(uws.us_socket_local_port(s)) : reject(new Error('cannot listen')))),
  );

  // The sink writes while the client keeps up (under 256 KiB waiting), checked every turn.
  const pump = () => {
    for (const ws of sinks) {
      for (let i = 0; i < 32 && ws.getBufferedAmount() < 256 * 1024; i++) ws.send(SINK_FRAME);
    }
    setImmediate(pump);
  };
  let pumping = false;

  let prefix = '';
  serveParent({
    port: () => ({ port }),
    async live(a: { natsUrl: string; ns: string }) {
      const nc = await connect({ servers: a.natsUrl, name: 'bench-bare-uws', noAsyncTraces: true });
      prefix = `${a.ns}.live.room.`;
      nc.subscribe(`${prefix}*`, {
        callback: (_err, msg) => {
          app.publish(`room/${msg.subject.slice(prefix.length)}`, msg.data, false);
        },
      });
      await nc.flush();
      return {};
    },
    /** The floor's NATS hop: a responder that answers every request at once, in this other process. */
    async echo(a: { natsUrl: string; subject: string }) {
      const nc = await connect({ servers: a.natsUrl, name: 'bench-echo', noAsyncTraces: true });
      nc.subscribe(a.subject, {
        callback: (_err, msg) => {
          msg.respond();
        },
      });
      await nc.flush();
      return {};
    },
    pump() {
      if (!pumping) {
        pumping = true;
        pump();
      }
      return {};
    },
  });
}

void main();
