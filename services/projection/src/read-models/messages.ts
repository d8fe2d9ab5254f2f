import type { MessageDeleted, MessageEdited, MessagePosted, Reaction, ReactionAdded } from '@chat/contracts';
import { handledBy, type ReadModel, type Timestamp, timestamp } from './types.ts';

export interface MessageRow {
  seq: number;
  id: string;
  room_id: string;
  user_id: string;
  type: 'text' | 'system';
  /** For system rows, what happened (`joined` / `left`); the sentence is written when read. */
  content: string;
  client_msg_id: string | null;
  created_at: Timestamp;
}

/** The final state of a message changed in the batch (edited, deleted, reacted to), and the seq of its last change. */
export interface MessageChange {
  id: string;
  room_id: string;
  content: string;
  deleted: boolean;
  edited_at: Timestamp | null;
  reactions: Reaction[];
  changed_seq: number;
}

export interface MessagesPlan {
  inserts: MessageRow[];
  changes: MessageChange[];
}

/**
 * Each room's timeline: posts, a system line for each join and leave, and every message's last
 * change with that change's seq (so a resume after a cursor finds edits of older messages).
 * Changes apply after the inserts, so a post and its edit in one batch end as the edit.
 */
export const messagesModel: ReadModel<MessagesPlan> = {
  name: 'messages',
  handles: ['MessagePosted', 'MessageEdited', 'MessageDeleted', 'ReactionAdded', 'ReactionRemoved', 'UserJoined', 'UserLeft'],
  plan(events) {
    const inserts: MessageRow[] = [];
    const changes = new Map<string, MessageChange>();
    for (const { seq, event } of events.filter(handledBy(messagesModel))) {
      const at = timestamp(event.occurred_at);
      switch (event.type) {
        case 'MessagePosted': {
          const { room_id, message_id, user_id, content, client_msg_id } = (event as MessagePosted).data;
          inserts.push({ seq, id: message_id, room_id, user_id, type: 'text', content, client_msg_id, created_at: at });
          break;
        }
        case 'UserJoined':
        case 'UserLeft':
          inserts.push({
            seq,
            id: `sys_${event.id}`,
            room_id: event.data.room_id,
            user_id: event.data.user_id,
            type: 'system',
            content: event.type === 'UserJoined' ? 'joined' : 'left',
            client_msg_id: null,
            created_at: at,
          });
          break;
        case 'MessageEdited':
        case 'MessageDeleted': {
          const { room_id, message_id, reactions } = (event as MessageEdited | MessageDeleted).data;
          const deleted = event.type === 'MessageDeleted';
          const content = deleted ? '' : (event as MessageEdited).data.content;
          changes.set(message_id, { id: message_id, room_id, content, deleted, edited_at: at, reactions, changed_seq: seq });
          break;
        }
        case 'ReactionAdded':
        case 'ReactionRemoved': {
          // The event carries the message as it is after the reaction: the change is that state.
          const d = (event as ReactionAdded).data;
          changes.set(d.message_id, {
            id: d.message_id,
            room_id: d.room_id,
            content: d.content,
            deleted: d.deleted,
            edited_at: d.edited_at === null ? null : timestamp(d.edited_at),
            reactions: d.reactions,
            changed_seq: seq,
          });
          break;
        }
      }
    }
    return { inserts, changes: [...changes.values()] };
  },
};
