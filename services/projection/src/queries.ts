import { type NatsConnection, type Service, serveRpc } from '@chat/bus';
import { AppError, type Subjects } from '@chat/contracts';
import type { Logger } from '@chat/runtime';
import { isTransientDbError } from '@chat/db';
import type { Kysely } from 'kysely';
import { myInvitations } from './db/invitations.ts';
import { readModels } from './db/read-models.ts';
import type { Database } from './db/schema.ts';
import type { Writer } from './writer.ts';

/** How long a query waits for the read models to reach the position its caller has seen. */
export const READ_YOUR_WRITES_WAIT_MS = 2000;

/**
 * Answers history and room queries from the read models. A query that names a `min_position`
 * (the gateway's latest write or live event for it) waits until the read models hold it, so a
 * client reads its own writes; past the wait, or while Postgres is away, it is a 503.
 */
export function serveQueries(deps: {
  nc: NatsConnection;
  s: Subjects;
  db: Kysely<Database>;
  writer: Writer;
  log: Logger;
  onRequest?: (endpoint: string, ms: number, ok: boolean) => void;
}): Promise<Service> {
  const { nc, s, db, writer, log, onRequest } = deps;

  const query = async <T>(minPosition: number | undefined, read: () => Promise<T>): Promise<T> => {
    try {
      // A standby copy learns the position from the checkpoint in Postgres: inside, so that
      // Postgres being away is a 503 here too.
      if (minPosition !== undefined && !(await writer.waitFor(minPosition, READ_YOUR_WRITES_WAIT_MS))) {
        throw new AppError('unavailable', 'history is catching up with the latest messages; try again in a moment');
      }
      return await read();
    } catch (err) {
      if (isTransientDbError(err)) throw new AppError('unavailable', 'history is unavailable right now; try again in a moment');
      throw err;
    }
  };

  return serveRpc(
    nc,
    s,
    { name: 'projection', version: '0.2.0', log, onRequest },
    {
      listRooms: (req) => query(req.min_position, () => readModels.rooms(db, req)),
      myRooms: (req) => query(req.min_position, () => readModels.myRooms(db, req)),
      myInvitations: (req) => query(req.min_position, () => myInvitations(db, req)),
      roomIdsOf: (req) => query(req.min_position, async () => ({ room_ids: await readModels.roomsOfUser(db, req.user_id) })),
      getRoom: (req) =>
        query(req.min_position, async () => {
          const room = await readModels.room(db, req.room_id);
          if (!room) throw new AppError('not_found', `room ${req.room_id} does not exist`);
          return room;
        }),
      members: (req) =>
        query(req.min_position, async () => {
          if (!(await readModels.room(db, req.room_id))) throw new AppError('not_found', `room ${req.room_id} does not exist`);
          return readModels.members(db, req);
        }),
      messages: (req) => query(req.min_position, () => readModels.page(db, req)),
      changes: (req) =>
        query(req.min_position, () => readModels.changes(db, { room_id: req.room_id, since: req.since, after: req.after ?? req.since, limit: req.limit })),
      recent: (req) => query(req.min_position, () => readModels.recent(db, req.room_id, req.limit)),
      messageById: (req) =>
        query(req.min_position, async () => {
          const [message] = await readModels.messagesById(db, req.room_id, [req.message_id]);
          return { message: message ?? null };
        }),
      ping: async () => ({ pong: true as const }),
    },
  );
}
