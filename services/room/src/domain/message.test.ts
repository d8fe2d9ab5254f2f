import { appErrorOf, type MessageDeleted, type MessageEdited, type MessagePosted, REACTIONS_MAX, type ReactionAdded } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import { decideMessage, evolveMessage, type MessageChange, type MessageCommand, type MessageState, postedAt } from './message.ts';

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
  data: { room_id: 'lobby', message_id: 'm1', user_id: 'ann', content: 'hello', ...post, reactions: [] },
};
const deleted: MessageDeleted = {
  id: 'e3',
  type: 'MessageDeleted',
  version: 2,
  occurred_at: later,
  meta,
  data: { room_id: 'lobby', message_id: 'm1', user_id: 'ann', ...post, reactions: [] },
};
/** Given the post (stored at seq 7) and these changes. */
const given = (...changes: MessageChange[]): MessageState => changes.reduce(evolveMessage, postedAt(posted, 7));
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

describe('reactions', () => {
  const react = (user_id: string, emoji: string, add = true): MessageCommand => ({
    type: 'React',
    data: { room_id: 'lobby', message_id: 'm1', user_id, emoji, add },
  });
  /** The events a command decides on the state, applied: what the next command sees. */
  const after = (state: MessageState, ...commands: MessageCommand[]): MessageState =>
    commands.reduce(
      (s, c) => decideMessage(c, s).reduce((st, d, i) => evolveMessage(st, { id: `r${i}`, version: 1, occurred_at: later, meta, ...d } as MessageChange), s),
      state,
    );

  it('anyone adds an emoji; the event carries the message and its reactions after it', () => {
    const [added] = decideMessage(react('bob', '👍'), given(edited));
    expect(added).toEqual({
      type: 'ReactionAdded',
      data: {
        room_id: 'lobby',
        message_id: 'm1',
        user_id: 'bob',
        emoji: '👍',
        author_id: 'ann',
        content: 'hello',
        edited_at: later,
        deleted: false,
        ...post,
        reactions: [{ emoji: '👍', user_ids: ['bob'] }],
      },
    } satisfies { type: 'ReactionAdded'; data: ReactionAdded['data'] });
  });

  it('counts per emoji in the order they first appeared; adding twice or taking back what is not there says nothing', () => {
    const state = after(given(), react('bob', '👍'), react('cid', '🎉'), react('ann', '👍'));
    expect(state).toMatchObject({
      reactions: [
        { emoji: '👍', user_ids: ['bob', 'ann'] },
        { emoji: '🎉', user_ids: ['cid'] },
      ],
    });
    expect(decideMessage(react('bob', '👍'), state)).toEqual([]);
    expect(decideMessage(react('bob', '🎉', false), state)).toEqual([]);
  });

  it('taking the last one back removes the emoji', () => {
    const state = after(given(), react('bob', '👍'), react('bob', '👍', false));
    expect(state).toMatchObject({ reactions: [] });
  });

  it('at most REACTIONS_MAX different emojis; more of one already there is fine', () => {
    const emojis = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂🤗'];
    expect(emojis).toHaveLength(REACTIONS_MAX);
    const full = after(given(), ...emojis.map((e) => react('bob', e)));
    expect(code(() => decideMessage(react('cid', '🤔'), full))).toBe('conflict');
    expect(decideMessage(react('cid', '😀'), full)).toHaveLength(1);
  });

  it('no reactions on a deleted message; an edit or deletion keeps the reactions in its event', () => {
    expect(code(() => decideMessage(react('bob', '👍'), given(deleted)))).toBe('conflict');
    const liked = after(given(), react('bob', '👍'));
    expect(decideMessage(edit('ann', 'hello'), liked)).toMatchObject([{ data: { reactions: [{ emoji: '👍', user_ids: ['bob'] }] } }]);
  });
});
