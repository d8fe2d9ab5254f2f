import { appErrorOf, type MessageDeleted, type MessageEdited, type MessagePosted } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import { decideMessage, evolveMessage, type MessageCommand, type MessageState, postedAt } from './message.ts';

const meta = { correlation_id: 'c', causation_id: null, actor: null };
const at = '2026-01-01T00:00:00.000Z';
const later = '2026-01-01T00:05:00.000Z';
const posted: MessagePosted = {
  id: 'e1',
  type: 'MessagePosted',
  version: 1,
  occurred_at: at,
  meta,
  data: { room_id: 'lobby', message_id: 'm1', user_id: 'ann', content: 'helo', client_msg_id: 'c1' },
};
const post = { message_seq: 7, posted_at: at, client_msg_id: 'c1' };
const edited: MessageEdited = {
  id: 'e2',
  type: 'MessageEdited',
  version: 2,
  occurred_at: later,
  meta,
  data: { room_id: 'lobby', message_id: 'm1', user_id: 'ann', content: 'hello', ...post },
};
const deleted: MessageDeleted = {
  id: 'e3',
  type: 'MessageDeleted',
  version: 2,
  occurred_at: later,
  meta,
  data: { room_id: 'lobby', message_id: 'm1', user_id: 'ann', ...post },
};
/** Given the post (stored at seq 7) and these changes. */
const given = (...changes: (MessageEdited | MessageDeleted)[]): MessageState => changes.reduce(evolveMessage, postedAt(posted, 7));
const edit = (user_id: string, content: string): MessageCommand => ({ type: 'EditMessage', data: { room_id: 'lobby', message_id: 'm1', user_id, content } });
const remove = (user_id: string): MessageCommand => ({ type: 'DeleteMessage', data: { room_id: 'lobby', message_id: 'm1', user_id } });
const code = (fn: () => unknown) => appErrorOf(fn)?.code;

describe('message decider', () => {
  it('lets the author edit, and the change names its post (seq, time, client id)', () => {
    expect(decideMessage(edit('ann', 'hello'), given())).toEqual([{ type: 'MessageEdited', data: edited.data }]);
  });

  it('an edit to the same text says nothing', () => {
    expect(decideMessage(edit('ann', 'hello'), given(edited))).toEqual([]);
  });

  it('refuses anyone but the author', () => {
    expect(code(() => decideMessage(edit('bob', 'mine now'), given()))).toBe('forbidden');
    expect(code(() => decideMessage(remove('bob'), given()))).toBe('forbidden');
  });

  it('deletes once; a deleted message cannot be edited', () => {
    expect(decideMessage(remove('ann'), given())).toEqual([{ type: 'MessageDeleted', data: deleted.data }]);
    expect(decideMessage(remove('ann'), given(deleted))).toEqual([]);
    expect(code(() => decideMessage(edit('ann', 'back'), given(deleted)))).toBe('conflict');
  });

  it('does not find a message that is not there, or is in another room', () => {
    expect(code(() => decideMessage(edit('ann', 'x'), { status: 'none' }))).toBe('not_found');
    expect(code(() => decideMessage({ type: 'EditMessage', data: { room_id: 'other', message_id: 'm1', user_id: 'ann', content: 'x' } }, given()))).toBe(
      'not_found',
    );
  });

  it('folds changes into what a reader shows: text, deletion and when it last changed', () => {
    expect(given(edited)).toMatchObject({ content: 'hello', deleted: false, editedAt: later, seq: 7, postedAt: at, clientMsgId: 'c1' });
    expect(given(edited, deleted)).toMatchObject({ content: '', deleted: true, editedAt: later });
  });
});
