import { describe, expect, it } from 'vitest';
import type { MessageView } from '@chat/contracts';
import { Timeline } from './timeline.ts';
import { newClientMsgId } from './ids.ts';
import { aMessage } from '@chat/contracts/fixtures';

const msg = (seq: number, extra: Partial<MessageView> = {}): MessageView =>
  aMessage(seq, {
    room_id: 'r',
    user_id: seq % 2 ? 'alice' : 'bob',
    username: seq % 2 ? 'Alice' : 'Bob',
    avatar: '/avatars/default/x.svg',
    timestamp: new Date(seq * 1000).toISOString(),
    ...extra,
  });

describe('timeline', () => {
  it('keeps messages in seq order, each once, from pages and live frames in any order', () => {
    const t = new Timeline();
    expect(t.addPage([msg(5), msg(6), msg(7)]).map((m) => m.seq)).toEqual([5, 6, 7]);
    expect(t.upsert(msg(9)).change).toBe('added');
    expect(t.upsert(msg(7)).change).toBe('updated');
    expect(t.addPage([msg(3), msg(4), msg(5)]).map((m) => m.seq)).toEqual([3, 4]);
    expect(t.upsert(msg(8))).toEqual({ change: 'added', index: 5 });
    expect(t.messages.map((m) => m.seq)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect([t.oldestSeq, t.newestSeq]).toEqual([3, 9]);
  });

  it('puts a new name and avatar on every message of that user, old ones included', () => {
    const t = new Timeline();
    t.addPage([msg(1), msg(2), msg(3)]);
    const changed = t.applyProfile({ id: 'alice', username: 'Alice B', avatar: '/avatars/abc.webp' });
    expect(changed.map((m) => m.seq)).toEqual([1, 3]);
    expect(t.messages.filter((m) => m.user_id === 'alice').every((m) => m.avatar === '/avatars/abc.webp' && m.username === 'Alice B')).toBe(true);
    expect(t.messages.find((m) => m.seq === 2)?.avatar).toBe('/avatars/default/x.svg');
    expect(t.applyProfile({ id: 'alice', username: 'Alice B', avatar: '/avatars/abc.webp' })).toEqual([]);
  });

  it('a page read before a live edit, arriving after it, does not put the old text back', () => {
    const t = new Timeline();
    t.upsert(msg(30, { content: 'edited', edited_at: '2026-01-01T00:00:01Z' }));
    expect(t.addPage([msg(29), msg(30, { content: 'original' }), msg(31)]).map((m) => m.seq)).toEqual([29, 31]);
    expect(t.messages.find((m) => m.seq === 30)?.content).toBe('edited');
  });

  it('a page with a newer copy of a message here (an edit missed live) replaces it, and returns it to be shown', () => {
    const t = new Timeline();
    t.upsert(msg(30, { content: 'original', changed_seq: 30 }));
    const shown = t.addPage([msg(29), msg(30, { content: 'edited', changed_seq: 44 })]);
    expect(shown.map((m) => [m.seq, m.content])).toEqual([
      [29, msg(29).content],
      [30, 'edited'],
    ]);
    expect(t.messages.map((m) => m.content)).toEqual([msg(29).content, 'edited']);
  });

  it("an action's answer that arrives after a newer live change does not put the older copy back", () => {
    const t = new Timeline();
    t.upsert(msg(30));
    // Someone reacts (seq 41) after my edit (seq 40); the reaction's frame comes before my edit's answer.
    const reacted = msg(30, { content: 'edited', reactions: [{ emoji: '👍', count: 1, user_ids: ['bob'] }], changed_seq: 41 });
    t.upsert(reacted);
    expect(t.upsert(msg(30, { content: 'edited', changed_seq: 40 }))).toEqual({ change: 'updated', index: 0 });
    expect(t.messages[0]).toEqual(reacted);
    // A newer copy still replaces it.
    t.upsert(msg(30, { content: 'edited again', changed_seq: 42 }));
    expect(t.messages[0]?.content).toBe('edited again');
  });

  it('a page read before a profile change, arriving after it, shows the new name and avatar', () => {
    const t = new Timeline();
    t.addPage([msg(10)]);
    t.applyProfile({ id: 'alice', username: 'Alice B', avatar: '/avatars/abc.webp' });
    const [older] = t.addPage([msg(9, { username: 'Alice', avatar: '/avatars/default/x.svg' })]);
    expect(older).toMatchObject({ seq: 9, username: 'Alice B', avatar: '/avatars/abc.webp' });
  });

  it('finds a message by its client_msg_id', () => {
    const t = new Timeline();
    t.upsert(msg(1, { client_msg_id: 'mine' }));
    expect(t.findByClientMsgId('mine')?.seq).toBe(1);
    expect(t.findByClientMsgId('other')).toBeUndefined();
  });
});

describe('client_msg_id', () => {
  it('is a valid API id and does not repeat', () => {
    const ids = Array.from({ length: 2000 }, newClientMsgId);
    expect(ids.every((id) => /^[A-Za-z0-9_-]{1,64}$/.test(id) && id.length === 22)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
