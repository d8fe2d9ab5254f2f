import type { MessageView } from '@chat/client';
import { avatarImg } from './avatar.ts';
import { h } from './dom.ts';
import { linkParts } from './links.ts';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' });

/** The emojis the picker offers. */
export const COMMON_EMOJIS = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'];

/** What a message row may offer: the signed-in user, and whether they may act in the room. */
export interface ItemContext {
  me: string;
  member: boolean;
  nameOf(userId: string): string;
}

/** A message's text with its http(s) links as links: each part set as text, never as HTML. */
export function richText(content: string): (Node | string)[] {
  return linkParts(content).map((part) =>
    'href' in part ? h('a', { href: part.href, target: '_blank', rel: 'noopener noreferrer', class: 'msg-link' }, part.text) : part.text,
  );
}

export function daySeparator(iso: string): HTMLLIElement {
  const label = dayFormat.format(new Date(iso));
  return h('li', { class: 'day', role: 'separator', 'aria-label': label }, h('span', { 'aria-hidden': 'true' }, label));
}

/**
 * One message. `continued`: it follows its author's previous message closely, so it shows no
 * avatar and no name (both are still read out). Its actions (react; edit and delete when it is
 * mine) are buttons, reachable by keyboard; they carry `data-key` so focus can be put back on the
 * same one after the row is drawn again.
 */
export function messageItem(m: MessageView, continued: boolean, ctx: ItemContext): HTMLLIElement {
  const time = h('time', { datetime: m.timestamp, title: fullFormat.format(new Date(m.timestamp)) }, timeFormat.format(new Date(m.timestamp)));
  if (m.type === 'system') {
    return h('li', { class: 'msg system', 'data-seq': m.seq, 'data-user': m.user_id, 'data-id': m.id }, h('p', null, m.content, ' ', time));
  }
  const mine = m.user_id === ctx.me;
  const classes = ['msg', mine && 'mine', continued && 'cont', m.deleted && 'is-deleted'].filter(Boolean).join(' ');
  const canAct = ctx.member && !m.deleted;
  return h(
    'li',
    { class: classes, 'data-seq': m.seq, 'data-user': m.user_id, 'data-id': m.id, 'data-client-msg-id': m.client_msg_id ?? undefined, tabindex: -1 },
    continued ? h('span', { class: 'avatar-gap', 'aria-hidden': 'true' }) : avatarImg(m.avatar, m.user_id, 40),
    h(
      'div',
      { class: 'bubble' },
      h(
        'p',
        { class: continued ? 'meta meta-cont' : 'meta' },
        h('span', { class: continued ? 'name visually-hidden' : 'name' }, m.username),
        mine && h('span', { class: 'visually-hidden' }, ' (you)'),
        ' ',
        time,
        // A deleted message was not edited, whatever its edit time says.
        m.edited_at && !m.deleted && h('span', { class: 'edited' }, ' (edited)'),
      ),
      m.deleted ? h('p', { class: 'text deleted' }, 'This message was deleted.') : h('p', { class: 'text' }, ...richText(m.content)),
      !m.deleted && m.reactions.length > 0 && reactionList(m, ctx),
      canAct &&
        h(
          'div',
          { class: 'actions' },
          h(
            'button',
            { type: 'button', class: 'act', 'data-key': 'add-reaction', 'data-action': 'pick', 'aria-haspopup': 'true', 'aria-expanded': 'false' },
            h('span', { 'aria-hidden': 'true' }, '☺+'),
            h('span', { class: 'visually-hidden' }, 'Add a reaction'),
          ),
          mine && h('button', { type: 'button', class: 'act', 'data-key': 'edit', 'data-action': 'edit' }, 'Edit'),
          mine && h('button', { type: 'button', class: 'act danger', 'data-key': 'delete', 'data-action': 'delete' }, 'Delete'),
        ),
    ),
  );
}

function reactionList(m: MessageView, ctx: ItemContext): HTMLUListElement {
  return h(
    'ul',
    { class: 'reactions', 'aria-label': 'Reactions' },
    m.reactions.map((r) => {
      const mine = r.user_ids.includes(ctx.me);
      const who = r.user_ids.map((id) => (id === ctx.me ? 'you' : ctx.nameOf(id))).join(', ');
      return h(
        'li',
        null,
        h(
          'button',
          {
            type: 'button',
            class: mine ? 'reaction mine' : 'reaction',
            'data-key': `reaction:${r.emoji}`,
            'data-action': 'toggle',
            'data-emoji': r.emoji,
            'aria-pressed': String(mine),
            'aria-label': `${r.emoji} ${r.count} (${who})`,
            title: who,
            disabled: !ctx.member,
          },
          h('span', { class: 'reaction-emoji' }, r.emoji),
          ' ',
          h('span', { class: 'reaction-count' }, String(r.count)),
        ),
      );
    }),
  );
}

/** The little panel of emojis to react with. */
export function emojiPicker(): HTMLDivElement {
  return h(
    'div',
    { class: 'picker', role: 'group', 'aria-label': 'Pick a reaction' },
    COMMON_EMOJIS.map((emoji) =>
      h(
        'button',
        { type: 'button', class: 'pick', 'data-action': 'react', 'data-emoji': emoji, 'data-key': `pick:${emoji}`, 'aria-label': `React with ${emoji}` },
        emoji,
      ),
    ),
  );
}
