import type { ChatClient, MessageView, MyRoomView } from '@chat/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MyRooms } from './my-rooms.ts';
import { aMessage, aMyRoom } from '@chat/contracts/fixtures';

const msg = (seq: number, extra: Partial<MessageView> = {}): MessageView => aMessage(seq, { user_id: 'bo', username: 'Bo', ...extra });

const room = (id: string, last_seq: number, extra: Partial<MyRoomView> = {}): MyRoomView =>
  aMyRoom(id, last_seq, { last_message: msg(last_seq, { room_id: id }), ...extra });

/** The two calls the store makes, against rooms the test sets. */
function fakeClient(rooms: MyRoomView[]) {
  const marks: [string, number][] = [];
  const client = {
    myRooms: vi.fn(async () => ({ items: rooms, nextBefore: undefined })),
    markRead: vi.fn(async (roomId: string, seq: number) => {
      marks.push([roomId, seq]);
      return { room_id: roomId, seq };
    }),
  };
  return { client: client as unknown as ChatClient, marks, calls: client };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('MyRooms', () => {
  it('reading a room clears its count at once and tells the server once, debounced, up to the newest seq shown', async () => {
    const { client, marks } = fakeClient([room('r1', 10, { unread: 3, read_seq: 7 })]);
    const store = new MyRooms(client, 'ann');
    await store.load();
    store.noteShown('r1', 8);
    store.noteShown('r1', 9);
    store.noteShown('r1', 10);
    expect(store.get('r1')).toMatchObject({ unread: 0, read_seq: 10 });
    expect(marks).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(marks).toEqual([['r1', 10]]);
    // Shown again up to where the server already is: nothing to say.
    store.noteShown('r1', 10);
    await vi.advanceTimersByTimeAsync(1000);
    expect(marks).toEqual([['r1', 10]]);
  });

  it('a message read as it arrives in the open room still moves the server’s marker', async () => {
    const { client, marks } = fakeClient([room('r1', 10)]);
    const store = new MyRooms(client, 'ann');
    await store.load();
    store.reading = 'r1';
    store.noteMessage('r1', msg(11));
    expect(store.get('r1')).toMatchObject({ unread: 0, read_seq: 11, last_seq: 11 });
    store.noteShown('r1', 11);
    await vi.advanceTimersByTimeAsync(1000);
    expect(marks).toEqual([['r1', 11]]);
  });

  it('no marker for a room that is not mine (a preview); an edit of the last message updates the preview', async () => {
    const { client, marks } = fakeClient([room('r1', 10)]);
    const store = new MyRooms(client, 'ann');
    await store.load();
    store.noteShown('elsewhere', 5);
    await vi.advanceTimersByTimeAsync(1000);
    expect(marks).toEqual([]);
    store.noteUpdated('r1', msg(10, { content: 'fixed', edited_at: new Date(1).toISOString() }));
    expect(store.get('r1')?.last_message?.content).toBe('fixed');
    store.noteUpdated('r1', msg(9, { content: 'older' }));
    expect(store.get('r1')?.last_message?.content).toBe('fixed');
    // An action's answer that comes after a newer change of the same message leaves the newer.
    store.noteUpdated('r1', msg(10, { content: 'fixed twice', changed_seq: 14 }));
    store.noteUpdated('r1', msg(10, { content: 'fixed once', changed_seq: 13 }));
    expect(store.get('r1')?.last_message?.content).toBe('fixed twice');
  });

  it('a reload keeps a room being read at zero unread, whatever the server counted before its marker', async () => {
    const { client } = fakeClient([room('r1', 12, { unread: 2, read_seq: 10 }), room('r2', 5, { unread: 1 })]);
    const store = new MyRooms(client, 'ann');
    store.reading = 'r1';
    await store.load();
    expect(store.list.map((r) => [r.id, r.unread])).toEqual([
      ['r1', 0],
      ['r2', 1],
    ]);
    expect(store.unreadTotal).toBe(1);
  });
});
