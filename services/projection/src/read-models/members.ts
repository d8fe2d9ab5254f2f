import { handledBy, type ReadModel, type Timestamp, timestamp } from './types.ts';

export interface MembersPlan {
  /** Members at the end of the batch who joined in it (a rejoin keeps its new time and seq). */
  joined: { room_id: string; user_id: string; joined_at: Timestamp; joined_seq: number }[];
  /** Members gone at the end of the batch. */
  left: { room_id: string; user_id: string }[];
}

/** Who is in each room: the last word per (room, user) in the batch wins. */
export const membersModel: ReadModel<MembersPlan> = {
  name: 'members',
  handles: ['UserJoined', 'UserLeft'],
  plan(events) {
    const last = new Map<string, { room_id: string; user_id: string; joined_at: Timestamp | null; joined_seq: number }>();
    for (const { seq, event } of events.filter(handledBy(membersModel))) {
      if (event.type !== 'UserJoined' && event.type !== 'UserLeft') continue;
      const { room_id, user_id } = event.data;
      last.set(`${room_id}\u0000${user_id}`, {
        room_id,
        user_id,
        joined_at: event.type === 'UserJoined' ? timestamp(event.occurred_at) : null,
        joined_seq: seq,
      });
    }
    const joined: MembersPlan['joined'] = [];
    const left: MembersPlan['left'] = [];
    for (const m of last.values()) {
      if (m.joined_at) joined.push({ room_id: m.room_id, user_id: m.user_id, joined_at: m.joined_at, joined_seq: m.joined_seq });
      else left.push({ room_id: m.room_id, user_id: m.user_id });
    }
    return { joined, left };
  },
};
