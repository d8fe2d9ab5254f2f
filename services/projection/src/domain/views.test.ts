import { describe, expect, it } from 'vitest';
import { toMemberView, toMessageView, type MessageWithAuthor } from './views.ts';

const row = (over: Partial<MessageWithAuthor> = {}): MessageWithAuthor => ({
  seq: 7,
  id: 'm1',
  room_id: 'lobby',
  user_id: 'ann',
  type: 'text',
  content: 'hello',
  client_msg_id: 'c1',
  created_at: new Date('2026-01-01T10:00:00Z'),
  edited_at: null,
  deleted: false,
  changed_seq: null,
  reactions: [],
  username: 'Ann',
  avatar_url: 'https://cdn.example.com/ann.png',
  ...over,
});

describe('message view', () => {
  it('keeps the seed shape and adds cursor fields', () => {
    expect(toMessageView(row())).toEqual({
      id: 'm1',
      room_id: 'lobby',
      user_id: 'ann',
      username: 'Ann',
      content: 'hello',
      avatar: 'https://cdn.example.com/ann.png',
      timestamp: '2026-01-01T10:00:00.000Z',
      type: 'text',
      seq: 7,
      client_msg_id: 'c1',
      edited_at: null,
      deleted: false,
      reactions: [],
      changed_seq: 7,
    });
  });

  it("a changed message's copy carries its last change's seq", () => {
    expect(toMessageView(row({ content: 'fixed', edited_at: new Date('2026-01-01T10:05:00Z'), changed_seq: 12 })).changed_seq).toBe(12);
  });

  it('never has an empty avatar: an unknown author gets the generated default', () => {
    const view = toMessageView(row({ username: null, avatar_url: null }));
    expect(view.avatar).toBe('/avatars/default/ann.svg');
    expect(view.username).toBe('ann');
  });

  it('writes system messages with the current name', () => {
    expect(toMessageView(row({ type: 'system', content: 'joined', username: 'Annie' })).content).toBe('Annie joined the room');
    expect(toMessageView(row({ type: 'system', content: 'left' })).content).toBe('Ann left the room');
  });

  it('member views fall back to the default avatar too', () => {
    expect(toMemberView({ user_id: 'bob', joined_at: new Date(0), username: null, avatar_url: null }).avatar).toBe('/avatars/default/bob.svg');
  });
});
