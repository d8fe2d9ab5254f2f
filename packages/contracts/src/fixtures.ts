// For tests only (imported as `@chat/contracts/fixtures`, never from the index): views with every
// field filled, so a test names only the fields it is about.
import type { MessageView, MyRoomView } from './views.ts';

/** A text message at `seq` by `u1` in `r1`, posted at the epoch; `fields` replace any of it. */
export const aMessage = (seq: number, fields: Partial<MessageView> = {}): MessageView => {
  const userId = fields.user_id ?? 'u1';
  return {
    id: `m${seq}`,
    room_id: 'r1',
    user_id: userId,
    username: 'Ann',
    content: `#${seq}`,
    avatar: `/avatars/default/${userId}.svg`,
    timestamp: new Date(0).toISOString(),
    type: 'text',
    seq,
    client_msg_id: null,
    edited_at: null,
    deleted: false,
    reactions: [],
    changed_seq: seq,
    ...fields,
  };
};

/** One of my rooms, read up to its last event `lastSeq` (its last message, unless `fields` say otherwise). */
export const aMyRoom = (id: string, lastSeq: number, fields: Partial<MyRoomView> = {}): MyRoomView => ({
  id,
  name: id,
  created_by: null,
  created_at: new Date(0).toISOString(),
  member_count: 2,
  last_seq: lastSeq,
  visibility: 'public',
  unread: 0,
  read_seq: lastSeq,
  last_message: aMessage(lastSeq, { room_id: id }),
  ...fields,
});
