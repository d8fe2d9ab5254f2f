import { AppError, type EventDraft, type MessageDeleted, type MessageEdited, type MessagePosted } from '@chat/contracts';

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
};
export type MessageState = NoMessage | PostedMessage;

export type EditMessage = { type: 'EditMessage'; data: { room_id: string; message_id: string; user_id: string; content: string } };
export type DeleteMessage = { type: 'DeleteMessage'; data: { room_id: string; message_id: string; user_id: string } };
export type MessageCommand = EditMessage | DeleteMessage;

export const initialMessage = (): MessageState => ({ status: 'none' });

/** The state of a message right after its post, stored at `seq`. */
export const postedAt = (posted: MessagePosted, seq: number): MessageState => ({ ...(evolveMessage(initialMessage(), posted) as PostedMessage), seq });

export function evolveMessage(state: MessageState, event: MessagePosted | MessageEdited | MessageDeleted): MessageState {
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
      };
    case 'MessageEdited':
      return state.status === 'posted' ? { ...state, content: event.data.content, editedAt: event.occurred_at } : state;
    case 'MessageDeleted':
      return state.status === 'posted' ? { ...state, content: '', deleted: true, editedAt: event.occurred_at } : state;
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

/** Only the author changes a message; a deleted one stays deleted; saying nothing new is no event. */
export function decideMessage(command: MessageCommand, state: MessageState): EventDraft<MessageEdited | MessageDeleted>[] {
  const { room_id, message_id, user_id } = command.data;
  if (state.status === 'none' || state.roomId !== room_id || state.messageId !== message_id) {
    throw new AppError('not_found', `message ${message_id} does not exist in room ${room_id}`);
  }
  if (state.authorId !== user_id) throw new AppError('forbidden', 'only the author can change a message');
  // Each change names its post, so a reader can show it without looking the post up.
  const post = { message_seq: state.seq, posted_at: state.postedAt, client_msg_id: state.clientMsgId };
  switch (command.type) {
    case 'EditMessage': {
      if (state.deleted) throw new AppError('conflict', 'a deleted message cannot be edited');
      if (state.content === command.data.content) return [];
      return [{ type: 'MessageEdited', data: { room_id, message_id, user_id, content: command.data.content, ...post } }];
    }
    case 'DeleteMessage':
      return state.deleted ? [] : [{ type: 'MessageDeleted', data: { room_id, message_id, user_id, ...post } }];
    default: {
      const _exhaustive: never = command;
      throw new AppError('bad_request', 'unknown command');
    }
  }
}
