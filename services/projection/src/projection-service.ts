import { serveRpc } from '@chat/bus';
import { AppError, type Subjects } from '@chat/contracts';
import type { Logger } from '@chat/runtime';
import type { Kysely } from 'kysely';
import type { NatsConnection, Service } from '@chat/bus';
import { readModels } from './db/read-models.ts';
import type { Database } from './db/schema.ts';
import type { Projector } from './projector.ts';

/** Answers history and room queries from the read models. */
export function serveQueries(deps: {
  nc: NatsConnection;
  s: Subjects;
  db: Kysely<Database>;
  projector: Projector;
  log: Logger;
  onRequest?: (endpoint: string, ms: number, ok: boolean) => void;
}): Promise<Service> {
  const { nc, s, db, projector, log, onRequest } = deps;
  return serveRpc(
    nc,
    s,
    { name: 'projection', version: '0.1.0', log, onRequest },
    {
      listRooms: async (req) => readModels.rooms(db, req.limit),
      getRoom: async (req) => {
        const room = await readModels.room(db, req.room_id);
        if (!room) throw new AppError('not_found', `room ${req.room_id} does not exist`);
        return room;
      },
      members: async (req) => {
        if (!(await readModels.room(db, req.room_id))) throw new AppError('not_found', `room ${req.room_id} does not exist`);
        return readModels.members(db, req.room_id);
      },
      messages: async (req) => readModels.page(db, req),
      messageAt: async (req) => {
        await projector.waitFor(req.seq, req.wait_ms);
        const [message] = await readModels.messagesBySeq(db, [req.seq]);
        return { message: message && message.room_id === req.room_id ? message : null };
      },
      messageById: async (req) => {
        const [message] = await readModels.messagesById(db, req.room_id, [req.message_id]);
        return { message: message ?? null };
      },
      awaitPosition: async (req) => ({ reached: await projector.waitFor(req.seq, req.wait_ms), position: projector.position }),
      ping: async () => ({ pong: true as const }),
    },
  );
}
