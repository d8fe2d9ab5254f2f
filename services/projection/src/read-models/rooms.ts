import type { RoomCreated, Visibility } from '@chat/contracts';
import { handledBy, type ReadModel, type Timestamp, timestamp } from './types.ts';

export interface NewRoom {
  id: string;
  name: string;
  created_by: string | null;
  created_at: Timestamp;
  last_seq: number;
  visibility: Visibility;
}

export interface RoomsPlan {
  created: NewRoom[];
  /** The seq of each room's newest timeline entry (post, join, leave) in the batch. */
  activity: { room_id: string; last_seq: number }[];
  /** Rooms whose member count is to be counted again. */
  recount: string[];
  /** The seq of each room's newest post in the batch (the preview of "my rooms"). */
  lastMessage: { room_id: string; seq: number }[];
}

/** Rooms, newest activity first, with their member counts. */
export const roomsModel: ReadModel<RoomsPlan> = {
  name: 'rooms',
  handles: ['RoomCreated', 'UserJoined', 'UserLeft', 'MessagePosted'],
  plan(events) {
    const created = new Map<string, NewRoom>();
    const activity = new Map<string, number>();
    const recount = new Set<string>();
    const lastMessage = new Map<string, number>();
    for (const { seq, event } of events.filter(handledBy(roomsModel))) {
      switch (event.type) {
        case 'RoomCreated': {
          const { room_id, name, created_by, visibility } = (event as RoomCreated).data;
          if (!created.has(room_id))
            created.set(room_id, { id: room_id, name, created_by, created_at: timestamp(event.occurred_at), last_seq: seq, visibility });
          break;
        }
        case 'UserJoined':
        case 'UserLeft':
          recount.add(event.data.room_id);
          activity.set(event.data.room_id, seq);
          break;
        case 'MessagePosted':
          activity.set(event.data.room_id, seq);
          lastMessage.set(event.data.room_id, seq);
          break;
      }
    }
    return {
      created: [...created.values()],
      activity: [...activity].map(([room_id, last_seq]) => ({ room_id, last_seq })),
      recount: [...recount],
      lastMessage: [...lastMessage].map(([room_id, seq]) => ({ room_id, seq })),
    };
  },
};
