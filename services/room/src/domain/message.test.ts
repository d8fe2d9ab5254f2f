import { describe, expect, it } from 'vitest';
import { appErrorOf, type MessageDeleted, type MessageEdited, type MessagePosted } from '@chat/contracts';
import { decideMessage, evolveMessage, initialMessage, type MessageCommand } from './message.ts';

const meta = { correlation_id: 'c', causation_id: null, actor: null };
const at = '2026-01-01T00:00:00.000Z';
const posted: MessagePosted = {
  id: 'e1',
  type: 'MessagePosted',
  version: 1,
  occurred_at: at,
  meta,
  data: { room_id: 'lobby', message_id: 'm1', user_id: 'ann', content: 'helo', client_msg_id: null },
};
const edited: MessageEdited = {
  id: 'e2',
  type: 'MessageEdited',
  version: 1,
  occurred_at: at,
  meta,
  data: { room_id: 'lobby', message_id: 'm1', user_id: 'ann', content: 'hello' },
};
const deleted: MessageDeleted = {
  id: 'e3',
  type: 'MessageDeleted',
  version: 1,
  occurred_at: at,
  meta,
  data: { room_id: 'lobby', message_id: 'm1', user_id: 'ann' },
};
const given = (...events: (MessagePosted | MessageEdited | MessageDeleted)[]) => events.reduce(evolveMessage, initialMessage());
const edit = (user_id: string, content: string): MessageCommand => ({ type: 'EditMessage', data: { room_id: 'lobby', message_id: 'm1', user_id, content } });
const remove = (user_id: string): MessageCommand => ({ type: 'DeleteMessage', data: { room_id: 'lobby', message_id: 'm1', user_id } });
const code = (fn: () => unknown) => appErrorOf(fn)?.code;

describe('message decider', () => {
  it('lets the author edit', () => {
    expect(decideMessage(edit('ann', 'hello'), given(posted))).toEqual([{ type: 'MessageEdited', data: edited.data }]);
  });

  it('an edit to the same text says nothing', () => {
    expect(decideMessage(edit('ann', 'hello'), given(posted, edited))).toEqual([]);
  });

  it('refuses anyone but the author', () => {
    expect(code(() => decideMessage(edit('bob', 'mine now'), given(posted)))).toBe('forbidden');
    expect(code(() => decideMessage(remove('bob'), given(posted)))).toBe('forbidden');
  });

  it('deletes once; a deleted message cannot be edited', () => {
    expect(decideMessage(remove('ann'), given(posted))).toEqual([{ type: 'MessageDeleted', data: deleted.data }]);
    expect(decideMessage(remove('ann'), given(posted, deleted))).toEqual([]);
    expect(code(() => decideMessage(edit('ann', 'back'), given(posted, deleted)))).toBe('conflict');
  });

  it('does not find a message that is not there, or is in another room', () => {
    expect(code(() => decideMessage(edit('ann', 'x'), given()))).toBe('not_found');
    expect(code(() => decideMessage({ type: 'EditMessage', data: { room_id: 'other', message_id: 'm1', user_id: 'ann', content: 'x' } }, given(posted)))).toBe(
      'not_found',
    );
  });
});
