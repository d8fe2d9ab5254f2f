import {
  AppError,
  type EventDraft,
  type MessageDeleted,
  type MessageEdited,
  type MessagePosted,
  REACTIONS_MAX,
  type Reaction,
  type ReactionAdded,
  type ReactionRemoved,
} from '@chat/contracts';

// A posted message and what happened to it since: its edits and its deletion.
export type NoMessage = { status: 'none' };
export type PostedMessage = {
  status: 'posted';
  roomId: string;
  messageId: string;
  authorId: string;
  content: string;
  deleted: boolean;
  /** The post's place in the log (known to whoever loaded it; the post event does not carry it). */
  seq: number | null;
  postedAt: string;
  clientMsgId: string | null;
  editedAt: string | null;
  /** Emojis in the order they first appeared, each with who reacted, first first. */
  reactions: readonly Reaction[];
};
export type MessageState = NoMessage | PostedMessage;
export type MessageChange = MessageEdited | MessageDeleted | ReactionAdded | ReactionRemoved;

export type EditMessage = { type: 'EditMessage'; data: { room_id: string; message_id: string; user_id: string; content: string } };
export type DeleteMessage = { type: 'DeleteMessage'; data: { room_id: string; message_id: string; user_id: string } };
/** `user_id` reacts; that they are a member of the room is checked before (the room's state, not the message's). */
export type React = { type: 'React'; data: { room_id: string; message_id: string; user_id: string; emoji: string; add: boolean } };
export type MessageCommand = EditMessage | DeleteMessage | React;

export const initialMessage = (): MessageState => ({ status: 'none' });

/** The state of a message right after its post, stored at `seq`. */
export const postedAt = (posted: MessagePosted, seq: number): MessageState => ({ ...(evolveMessage(initialMessage(), posted) as PostedMessage), seq });

/** The reactions after one user adds or takes back one emoji. */
function reacted(reactions: readonly Reaction[], emoji: string, userId: string, add: boolean): Reaction[] {
  const next = reactions.map((r) => (r.emoji === emoji ? { emoji, user_ids: r.user_ids.filter((u) => u !== userId) } : r));
  if (add) {
    const at = next.findIndex((r) => r.emoji === emoji);
    if (at >= 0) next[at] = { emoji, user_ids: [...next[at]!.user_ids, userId] };
    else next.push({ emoji, user_ids: [userId] });
  }
  return next.filter((r) => r.user_ids.length > 0);
}

export function evolveMessage(state: MessageState, event: MessagePosted | MessageChange): MessageState {
  switch (event.type) {
    case 'MessagePosted':
      return {
        status: 'posted',
        roomId: event.data.room_id,
        messageId: event.data.message_id,
        authorId: event.data.user_id,
        content: event.data.content,
        deleted: false,
        seq: null,
        postedAt: event.occurred_at,
        clientMsgId: event.data.client_msg_id,
        editedAt: null,
        reactions: [],
      };
    case 'MessageEdited':
      return state.status === 'posted' ? { ...state, content: event.data.content, editedAt: event.occurred_at } : state;
    case 'MessageDeleted':
      return state.status === 'posted' ? { ...state, content: '', deleted: true, editedAt: event.occurred_at } : state;
    case 'ReactionAdded':
    case 'ReactionRemoved':
      return state.status === 'posted'
        ? { ...state, reactions: reacted(state.reactions, event.data.emoji, event.data.user_id, event.type === 'ReactionAdded') }
        : state;
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

/**
 * Only the author changes a message; a deleted one stays deleted; saying nothing new is no event.
 * Any member reacts (at most `REACTIONS_MAX` different emojis on a message, none on a deleted one).
 */
export function decideMessage(command: MessageCommand, state: MessageState): EventDraft<MessageChange>[] {
  const { room_id, message_id, user_id } = command.data;
  if (state.status === 'none' || state.roomId !== room_id || state.messageId !== message_id) {
    throw new AppError('not_found', `message ${message_id} does not exist in room ${room_id}`);
  }
  // Each change names its post and carries the reactions after it, so a reader can show it without looking anything up.
  const post = { message_seq: state.seq, posted_at: state.postedAt, client_msg_id: state.clientMsgId };
  switch (command.type) {
    case 'EditMessage': {
      if (state.authorId !== user_id) throw new AppError('forbidden', 'only the author can change a message');
      if (state.deleted) throw new AppError('conflict', 'a deleted message cannot be edited');
      if (state.content === command.data.content) return [];
      return [{ type: 'MessageEdited', data: { room_id, message_id, user_id, content: command.data.content, ...post, reactions: [...state.reactions] } }];
    }
    case 'DeleteMessage':
      if (state.authorId !== user_id) throw new AppError('forbidden', 'only the author can change a message');
      return state.deleted ? [] : [{ type: 'MessageDeleted', data: { room_id, message_id, user_id, ...post, reactions: [...state.reactions] } }];
    case 'React': {
      const { emoji, add } = command.data;
      if (state.deleted) throw new AppError('conflict', 'a deleted message takes no reactions');
      const has = state.reactions.some((r) => r.emoji === emoji && r.user_ids.includes(user_id));
      if (has === add) return [];
      if (add && !state.reactions.some((r) => r.emoji === emoji) && state.reactions.length >= REACTIONS_MAX) {
        throw new AppError('conflict', `a message takes at most ${REACTIONS_MAX} different reactions`);
      }
      const reactions = reacted(state.reactions, emoji, user_id, add);
      const data = {
        room_id,
        message_id,
        user_id,
        emoji,
        author_id: state.authorId,
        content: state.content,
        edited_at: state.editedAt,
        deleted: state.deleted,
        ...post,
        reactions,
      };
      return [add ? { type: 'ReactionAdded', data } : { type: 'ReactionRemoved', data }];
    }
    default: {
      const _exhaustive: never = command;
      throw new AppError('bad_request', 'unknown command');
    }
  }
}
