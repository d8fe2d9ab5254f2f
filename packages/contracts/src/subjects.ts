import { z } from 'zod';
import { AppError } from './errors.ts';
import { isValidId } from './ids.ts';
import type { RpcName } from './rpc.ts';

export const Namespace = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be 1-32 lowercase letters, digits, _ or -');

function token(kind: string, value: string): string {
  if (!isValidId(value)) {
    throw new AppError('bad_request', `invalid ${kind} id: must be 1-64 characters of A-Z, a-z, 0-9, _ or -`);
  }
  return value;
}

/**
 * Every subject of the system, built in one place. Event subjects live under `<ns>.evt.` (captured
 * by the stream); command, query and live subjects never overlap them, or JetStream would answer
 * requests itself.
 */
export function subjects(ns: string) {
  Namespace.parse(ns);
  const cmd = {
    createRoom: `${ns}.cmd.room.create`,
    joinRoom: `${ns}.cmd.room.join`,
    leaveRoom: `${ns}.cmd.room.leave`,
    inviteUser: `${ns}.cmd.room.invite`,
    declineInvitation: `${ns}.cmd.room.decline`,
    markRead: `${ns}.cmd.room.read`,
    postMessage: `${ns}.cmd.room.post`,
    editMessage: `${ns}.cmd.room.edit`,
    deleteMessage: `${ns}.cmd.room.delete`,
    react: `${ns}.cmd.room.react`,
    registerUser: `${ns}.cmd.user.register`,
    ensureUser: `${ns}.cmd.user.ensure`,
    updateUser: `${ns}.cmd.user.update`,
  } as const;
  const qry = {
    membership: `${ns}.qry.room.membership`,
    roomMembers: `${ns}.qry.room.members-now`,
    getUser: `${ns}.qry.user.get`,
    defaultAvatar: `${ns}.qry.avatar.default`,
    getAvatar: `${ns}.qry.avatar.get`,
    listRooms: `${ns}.qry.rooms.list`,
    myRooms: `${ns}.qry.rooms.mine`,
    myInvitations: `${ns}.qry.invitations.mine`,
    roomIdsOf: `${ns}.qry.rooms.ids-of`,
    getRoom: `${ns}.qry.room.get`,
    members: `${ns}.qry.room.members`,
    messages: `${ns}.qry.messages.page`,
    changes: `${ns}.qry.messages.changes`,
    recent: `${ns}.qry.messages.recent`,
    messageById: `${ns}.qry.messages.by-id`,
    ping: `${ns}.qry.ping`,
  } as const;
  const rpc: Record<RpcName, string> = { ...cmd, ...qry };
  return {
    ns,
    stream: `CHAT_${ns.toUpperCase().replace(/-/g, '_')}`,
    /** Object store where the gateway stages avatar uploads for the profile service (short-lived). */
    uploads: `CHAT_${ns.toUpperCase().replace(/-/g, '_')}_UPLOADS`,
    events: {
      all: `${ns}.evt.>`,
      /** Room lifecycle and membership: one aggregate, guarded by expected sequence. */
      room: (roomId: string) => `${ns}.evt.room.${token('room', roomId)}`,
      /** A room's messages: independent of each other, deduplicated by msgID. */
      messages: (roomId: string) => `${ns}.evt.msg.${token('room', roomId)}`,
      /** Edits and deletion of one message: its own small aggregate. */
      messageChanges: (roomId: string, messageId: string) => `${ns}.evt.edit.${token('room', roomId)}.${token('message', messageId)}`,
      /** The changes of every message of a room (a filter, not a subject to publish on). */
      roomMessageChanges: (roomId: string) => `${ns}.evt.edit.${token('room', roomId)}.*`,
      user: (userId: string) => `${ns}.evt.user.${token('user', userId)}`,
      /** A user's read markers, every room's (only ever appended; the projection keeps the highest). */
      readMarkers: (userId: string) => `${ns}.evt.read.${token('user', userId)}`,
    },
    /** Request/reply subject of each endpoint in `Rpc`. */
    rpc,
    /** Ephemeral signals outside the stream (typing): lost when nobody listens, never replayed. */
    live: {
      typing: (roomId: string) => `${ns}.live.typing.${token('room', roomId)}`,
    },
    /**
     * Core notices between copies of a service, outside the stream: a room copy that appended a
     * room event tells the others to drop what they know of that room. Nothing subscribes to the
     * event subjects themselves: JetStream delivers a push consumer's messages only where someone
     * subscribes, so an event subject without subscribers cannot be written through a consumer's
     * deliver subject by a user that may not publish events (see infra/nats/auth.conf).
     */
    notices: {
      room: (roomId: string) => `${ns}.note.room.${token('room', roomId)}`,
      allRooms: `${ns}.note.room.*`,
    },
    /** JetStream KV bucket of presence leases: one key `<room>.<user>.<connection>` per socket. */
    presenceBucket: `presence_${ns.replace(/-/g, '_')}`,
    /** JetStream KV bucket of leases for work with one active copy. */
    leaseBucket: `leases_${ns.replace(/-/g, '_')}`,
  } as const;
}

export type Subjects = ReturnType<typeof subjects>;
