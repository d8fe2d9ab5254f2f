import { AggregateRepository, EventStore, type NatsConnection, nuid, type RequestContext, runCommand, type Service, serveRpc } from '@chat/bus';
import {
  AppError,
  type EventDraft,
  type EventMeta,
  type MessagePosted,
  type MessageState as MessageReply,
  type ReadMarkerMoved,
  type RoomEvent,
  type Subjects,
} from '@chat/contracts';
import { KeyedLock, type Logger } from '@chat/runtime';
import { decideMessage, evolveMessage, type MessageChange, type MessageCommand, type MessageState, type PostedMessage, postedAt } from './domain/message.ts';
import { decide, evolve, initialState, isMember, requireMember, type RoomCommand, type RoomState } from './domain/room.ts';
import { RoomDirectory } from './room-directory.ts';

export interface RoomServiceDeps {
  nc: NatsConnection;
  s: Subjects;
  log: Logger;
  now?: () => Date;
  onRequest?: (endpoint: string, ms: number, ok: boolean) => void;
  onConflict?: () => void;
  onPosted?: () => void;
  /** How long membership known in memory is trusted without asking the log (see `RoomDirectory`). */
  membershipStaleMs?: number;
}

const metaFor = (ctx: RequestContext, actor: string): EventMeta => ({ correlation_id: ctx.correlationId, causation_id: null, actor });

const replyOf = (m: PostedMessage, seq: number): MessageReply => ({
  message_id: m.messageId,
  room_id: m.roomId,
  user_id: m.authorId,
  content: m.content,
  client_msg_id: m.clientMsgId,
  posted_at: m.postedAt,
  edited_at: m.editedAt,
  deleted: m.deleted,
  seq,
  reactions: m.reactions.map((r) => ({ emoji: r.emoji, user_ids: [...r.user_ids] })),
});

export interface RoomService {
  stop(): Promise<void>;
}

/** The room decider behind NATS: membership commands go through `runCommand`; posts through the message subject. */
export async function startRoomService(deps: RoomServiceDeps): Promise<RoomService> {
  const { nc, s, log, now = () => new Date(), onRequest, onConflict } = deps;
  const store = await EventStore.open(nc, s.stream);
  const rooms = new AggregateRepository<RoomState, RoomEvent>(store, { subject: s.events.room, initialState, evolve });
  const directory = new RoomDirectory(rooms, nc, s, { staleMs: deps.membershipStaleMs });
  // One command per room at a time in this process; other processes are fenced by expected sequence.
  const lock = new KeyedLock();

  const handle = (command: Exclude<RoomCommand, { type: 'PostMessage' }>, meta: EventMeta) =>
    lock.run(command.data.room_id, async () => {
      const started = Date.now();
      const result = await runCommand(rooms, command.data.room_id, (state) => decide(command, state), { meta, now, onConflict });
      directory.appended(command.data.room_id, started);
      return result;
    });

  /**
   * Edits and deletions: the message's state is its post (found by seq, and checked to be that
   * message in that room) plus the changes on its own subject, guarded by expected sequence.
   */
  const changeMessage = async (seq: number, command: MessageCommand, meta: EventMeta) => {
    const { room_id, message_id } = command.data;
    const stored = await store.get(seq).catch((err: unknown) => {
      if (err instanceof AppError && err.code !== 'not_found') throw err;
      return null;
    });
    const posted = stored?.event.type === 'MessagePosted' ? (stored.event as MessagePosted) : null;
    if (!posted || posted.data.room_id !== room_id || posted.data.message_id !== message_id) {
      throw new AppError('not_found', `message ${message_id} does not exist in room ${room_id}`);
    }
    const changes = new AggregateRepository<MessageState, MessageChange>(store, {
      subject: () => s.events.messageChanges(room_id, message_id),
      initialState: () => postedAt(posted, seq),
      evolve: evolveMessage,
    });
    const { after, drafts } = await lock.run(`msg:${message_id}`, () =>
      runCommand(changes, message_id, (state) => decideMessage(command, state), { meta, now, onConflict }),
    );
    return { changed: drafts.length > 0, change_seq: after.seq, message: replyOf(after.state as PostedMessage, seq) };
  };

  const service: Service = await serveRpc(
    nc,
    s,
    { name: 'room', version: '0.2.0', log, onRequest },
    {
      createRoom: async (req, ctx) => {
        const roomId = req.room_id ?? `r_${nuid.next()}`;
        const { after } = await handle(
          { type: 'CreateRoom', data: { room_id: roomId, name: req.name, user_id: req.user_id, visibility: req.visibility } },
          metaFor(ctx, req.user_id),
        );
        const room = after.state;
        if (room.status !== 'open') throw new AppError('internal', 'room missing after creation');
        return {
          room: { id: roomId, name: room.name, created_by: room.createdBy, created_at: room.createdAt, visibility: room.visibility },
          member_count: room.members.size,
          seq: after.seq,
        };
      },

      joinRoom: async (req, ctx) => {
        const { after, drafts } = await handle({ type: 'JoinRoom', data: req }, metaFor(ctx, req.user_id));
        return { ...req, joined: drafts.length > 0, room_created: drafts.some((d) => d.type === 'RoomCreated'), seq: after.seq };
      },

      inviteUser: async (req, ctx) => {
        const { after, drafts } = await handle({ type: 'InviteUser', data: req }, metaFor(ctx, req.invited_by));
        return { room_id: req.room_id, user_id: req.user_id, invited: drafts.length > 0, seq: after.seq };
      },

      declineInvitation: async (req, ctx) => {
        const { after, drafts } = await handle({ type: 'DeclineInvitation', data: req }, metaFor(ctx, req.user_id));
        return { ...req, declined: drafts.length > 0, seq: after.seq };
      },

      leaveRoom: async (req, ctx) => {
        const { after, drafts } = await handle({ type: 'LeaveRoom', data: req }, metaFor(ctx, req.user_id));
        return { ...req, left: drafts.length > 0, seq: after.seq };
      },

      /** One JetStream round trip in the common case: membership comes from memory (see `RoomDirectory`). */
      postMessage: async (req, ctx) => {
        const state = await directory.forPost(req.room_id, req.user_id);
        const clientMsgId = req.client_msg_id ?? null;
        const messageId = `m_${nuid.next()}`;
        const [draft] = decide(
          {
            type: 'PostMessage',
            data: { room_id: req.room_id, user_id: req.user_id, message_id: messageId, content: req.content, client_msg_id: clientMsgId },
          },
          state,
        );
        if (!draft) throw new AppError('internal', 'post decided nothing');
        // The client's id makes a retry the same message: JetStream drops the copy and names the first.
        const msgId = clientMsgId ? `${req.room_id}:${req.user_id}:${clientMsgId}` : messageId;
        const appended = await store.append(s.events.messages(req.room_id), draft, { msgId, meta: metaFor(ctx, req.user_id), now: now() });
        if (!appended.duplicate) deps.onPosted?.();
        const original = appended.duplicate ? ((await store.get(appended.seq)).event as MessagePosted) : (appended.event as MessagePosted);
        return { ...replyOf(postedAt(original, appended.seq) as PostedMessage, appended.seq), duplicate: appended.duplicate };
      },

      /**
       * Members only. Nothing is decided against earlier markers: the event says where the user is,
       * and the projection keeps the highest marker, never past the marker's own event.
       */
      markRead: async (req, ctx) => {
        requireMember(await directory.forPost(req.room_id, req.user_id), req.room_id, req.user_id);
        const draft: EventDraft<ReadMarkerMoved> = { type: 'ReadMarkerMoved', data: { ...req } };
        const appended = await store.append(s.events.readMarkers(req.user_id), draft, { meta: metaFor(ctx, req.user_id), now: now() });
        return { room_id: req.room_id, seq: Math.min(req.seq, appended.seq), event_seq: appended.seq };
      },

      editMessage: (req, ctx) => changeMessage(req.seq, { type: 'EditMessage', data: req }, metaFor(ctx, req.user_id)),

      /** Members react: membership from memory (checked against the log before refusing), then the message's own subject. */
      react: async (req, ctx) => {
        requireMember(await directory.forPost(req.room_id, req.user_id), req.room_id, req.user_id);
        return changeMessage(req.seq, { type: 'React', data: req }, metaFor(ctx, req.user_id));
      },

      deleteMessage: (req, ctx) => changeMessage(req.seq, { type: 'DeleteMessage', data: req }, metaFor(ctx, req.user_id)),

      membership: async (req) => {
        const { state, seq } = await directory.snapshotForPost(req.room_id, req.user_id);
        return {
          room_exists: state.status === 'open',
          member: isMember(state, req.user_id),
          visibility: state.status === 'open' ? state.visibility : null,
          seq,
        };
      },

      roomMembers: async (req) => {
        const { state, seq } = await directory.load(req.room_id);
        return { room_exists: state.status === 'open', members: state.status === 'open' ? [...state.members] : [], seq };
      },
    },
  );
  return {
    async stop() {
      directory.close();
      await service.stop();
    },
  };
}
