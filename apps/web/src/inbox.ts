import type { MessageView, MyRoomView } from '@chat/client';

/**
 * The sidebar's rooms as pure data: what a new line in a room, or a read marker, does to them.
 * No I/O here; `my-rooms.ts` feeds it from the connection and the API.
 */
export interface Rooms {
  readonly list: readonly MyRoomView[];
}

/** Newest activity first, as `GET /me/rooms` orders them (by the seq of the room's last event). */
export const byActivity = (a: MyRoomView, b: MyRoomView) => b.last_seq - a.last_seq || a.name.localeCompare(b.name);

/** Whether a message counts as unread for `me`: someone else's words (not a join line, not deleted). */
export const countsAsUnread = (m: MessageView, me: string) => m.type === 'text' && m.user_id !== me && !m.deleted;

export type ActivityOutcome =
  | { kind: 'updated'; rooms: MyRoomView[] }
  /** The user joined a room (on another device, or by invitation): the list needs loading again. */
  | { kind: 'reload' }
  | { kind: 'removed'; rooms: MyRoomView[] };

/**
 * A timeline line saying its user left the room (the other system line says they joined). The
 * projection words it (`toMessageView`); this is the one place the app reads that wording.
 */
export const isLeaveLine = (m: MessageView): boolean => m.type === 'system' && m.content.endsWith(' left the room');

/**
 * A new line in one of my rooms: the room moves up, shows it as its last message, and its unread
 * count grows unless it is mine or I am looking at the room (`reading`).
 */
export function applyActivity(
  rooms: readonly MyRoomView[],
  a: { room_id: string; message: MessageView; seq: number },
  me: string,
  reading: boolean,
): ActivityOutcome {
  const room = rooms.find((r) => r.id === a.room_id);
  const mine = a.message.user_id === me;
  if (a.message.type === 'system' && mine) {
    // My own join or leave line: the room arrives in, or goes from, my rooms.
    const left = room !== undefined && isLeaveLine(a.message);
    if (left) return { kind: 'removed', rooms: rooms.filter((r) => r.id !== a.room_id) };
    if (!room) return { kind: 'reload' };
  }
  if (!room) return { kind: 'reload' };
  if (a.seq <= room.last_seq && room.last_message && room.last_message.seq >= a.message.seq) return { kind: 'updated', rooms: [...rooms] };
  const unread = reading ? 0 : countsAsUnread(a.message, me) ? Math.min(999, room.unread + 1) : room.unread;
  const read_seq = reading ? Math.max(room.read_seq, a.seq) : room.read_seq;
  const updated: MyRoomView = { ...room, last_seq: Math.max(room.last_seq, a.seq), last_message: a.message, unread, read_seq };
  return { kind: 'updated', rooms: rooms.map((r) => (r.id === a.room_id ? updated : r)).sort(byActivity) };
}

/**
 * A read marker from one of my devices. Read up to the room's last event: nothing is unread. Read
 * only part of the way: the count cannot be known here (`stale`: ask the API).
 */
export function applyMarker(rooms: readonly MyRoomView[], m: { room_id: string; seq: number }): { rooms: MyRoomView[]; stale: boolean } {
  const room = rooms.find((r) => r.id === m.room_id);
  if (!room || m.seq <= room.read_seq) return { rooms: [...rooms], stale: false };
  const all = m.seq >= room.last_seq || (room.last_message !== null && m.seq >= room.last_message.seq);
  const updated = { ...room, read_seq: m.seq, unread: all ? 0 : room.unread };
  return { rooms: rooms.map((r) => (r.id === m.room_id ? updated : r)), stale: !all && room.unread > 0 };
}

/** A room's last message, as a line of the sidebar. */
export function previewOf(room: MyRoomView, me: string): string {
  const m = room.last_message;
  if (!m) return 'No messages yet';
  if (m.type === 'system') return m.content;
  const who = m.user_id === me ? 'You' : m.username;
  const text = m.deleted ? 'message deleted' : m.content.replace(/\s+/g, ' ').trim();
  return `${who}: ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`;
}
