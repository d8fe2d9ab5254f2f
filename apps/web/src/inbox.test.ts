import type { MessageView, MyRoomView } from '@chat/client';
import { describe, expect, it } from 'vitest';
import { continues, startsDay } from './grouping.ts';
import { applyActivity, applyMarker, previewOf } from './inbox.ts';
import { aMessage, aMyRoom } from '@chat/contracts/fixtures';

const msg = (seq: number, extra: Partial<MessageView> = {}): MessageView =>
  aMessage(seq, { user_id: 'bo', username: 'Bo', timestamp: new Date(2026, 10, 30, 12, 0, seq).toISOString(), ...extra });

const room = (id: string, last_seq: number, extra: Partial<MyRoomView> = {}): MyRoomView =>
  aMyRoom(id, last_seq, { last_message: msg(last_seq, { room_id: id }), ...extra });

describe('the sidebar’s rooms', () => {
  const rooms = [room('a', 30), room('b', 20), room('c', 10)];

  it('a message from someone else moves the room to the top and counts it unread', () => {
    const out = applyActivity(rooms, { room_id: 'c', message: msg(31, { room_id: 'c' }), seq: 31 }, 'ann', false);
    expect(out.kind).toBe('updated');
    if (out.kind !== 'updated') return;
    expect(out.rooms.map((r) => r.id)).toEqual(['c', 'a', 'b']);
    expect(out.rooms[0]).toMatchObject({ unread: 1, last_seq: 31, last_message: { content: '#31' } });
  });

  it('my own message, and a message in the room I am reading, move it up without counting', () => {
    const own = applyActivity(rooms, { room_id: 'b', message: msg(31, { user_id: 'ann' }), seq: 31 }, 'ann', false);
    const reading = applyActivity(rooms, { room_id: 'b', message: msg(32), seq: 32 }, 'ann', true);
    for (const out of [own, reading]) {
      if (out.kind !== 'updated') throw new Error(out.kind);
      expect(out.rooms[0]).toMatchObject({ id: 'b', unread: 0 });
    }
    if (reading.kind === 'updated') expect(reading.rooms[0]!.read_seq).toBe(32);
  });

  it('my join line in a room I do not have yet asks for a reload; my leave line removes it; an unknown room reloads', () => {
    expect(
      applyActivity(rooms, { room_id: 'new', message: msg(40, { type: 'system', user_id: 'ann', content: 'Ann joined the room' }), seq: 40 }, 'ann', false)
        .kind,
    ).toBe('reload');
    const left = applyActivity(
      rooms,
      { room_id: 'a', message: msg(41, { type: 'system', user_id: 'ann', content: 'Ann left the room' }), seq: 41 },
      'ann',
      false,
    );
    expect(left.kind === 'removed' && left.rooms.map((r) => r.id)).toEqual(['b', 'c']);
    expect(applyActivity(rooms, { room_id: 'zz', message: msg(42), seq: 42 }, 'ann', false).kind).toBe('reload');
  });

  it('a join line of someone else is news but not unread; a repeat of the last message changes nothing', () => {
    const joined = applyActivity(rooms, { room_id: 'c', message: msg(50, { type: 'system', content: 'Bo joined the room' }), seq: 50 }, 'ann', false);
    expect(joined.kind === 'updated' && joined.rooms[0]).toMatchObject({ id: 'c', unread: 0 });
    const again = applyActivity(rooms, { room_id: 'a', message: msg(30, { room_id: 'a' }), seq: 30 }, 'ann', false);
    expect(again.kind === 'updated' && again.rooms).toEqual(rooms);
  });

  it('a read marker at the last event clears the count; part of the way keeps it and says to ask the API', () => {
    const unread = [room('a', 30, { unread: 3, read_seq: 20 })];
    expect(applyMarker(unread, { room_id: 'a', seq: 30 })).toEqual({ rooms: [{ ...unread[0], unread: 0, read_seq: 30 }], stale: false });
    expect(applyMarker(unread, { room_id: 'a', seq: 25 })).toEqual({ rooms: [{ ...unread[0], read_seq: 25 }], stale: true });
    // A marker behind the one known changes nothing.
    expect(applyMarker(unread, { room_id: 'a', seq: 10 })).toEqual({ rooms: unread, stale: false });
  });

  it('previews: who said what, "You" for me, deleted ones as deleted, long ones cut', () => {
    expect(previewOf(room('a', 3), 'ann')).toBe('Bo: #3');
    expect(previewOf(room('a', 3, { last_message: msg(3, { user_id: 'ann', content: 'hi\n there' }) }), 'ann')).toBe('You: hi there');
    expect(previewOf(room('a', 3, { last_message: msg(3, { deleted: true, content: '' }) }), 'ann')).toBe('Bo: message deleted');
    expect(previewOf(room('a', 3, { last_message: null }), 'ann')).toBe('No messages yet');
    expect(previewOf(room('a', 3, { last_message: msg(3, { content: 'x'.repeat(200) }) }), 'ann')).toHaveLength(84);
  });
});

describe('grouping and day separators', () => {
  it('one author within five minutes on one day is one group; another author, a system line, a long pause or a new day is not', () => {
    const at = (h: number, m: number, extra: Partial<MessageView> = {}) => msg(h * 60 + m, { timestamp: new Date(2026, 10, 30, h, m).toISOString(), ...extra });
    expect(continues(at(12, 0), at(12, 4))).toBe(true);
    expect(continues(at(12, 0), at(12, 6))).toBe(false);
    expect(continues(at(12, 0), at(12, 1, { user_id: 'cy' }))).toBe(false);
    expect(continues(at(12, 0, { type: 'system' }), at(12, 1))).toBe(false);
    expect(continues(undefined, at(12, 1))).toBe(false);
    const late = msg(1, { timestamp: new Date(2026, 10, 30, 23, 58).toISOString() });
    const early = msg(2, { timestamp: new Date(2026, 11, 1, 0, 1).toISOString() });
    expect(continues(late, early)).toBe(false);
    expect(startsDay(late, early)).toBe(true);
    expect(startsDay(undefined, late)).toBe(true);
    expect(startsDay(at(9, 0), at(12, 0))).toBe(false);
  });
});
