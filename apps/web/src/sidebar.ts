import type { InvitationView } from '@chat/client';
import { type App, describe } from './app.ts';
import { h, mount, setTitle } from './dom.ts';
import { previewOf } from './inbox.ts';
import { type Invitations, invitedSentence } from './invitations.ts';
import type { MyRooms } from './my-rooms.ts';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

const when = (iso: string): string => {
  const d = new Date(iso);
  return d.toDateString() === new Date().toDateString() ? timeFormat.format(d) : dateFormat.format(d);
};

/**
 * My rooms, newest activity first, each with its unread count and last message; live (the store
 * follows the connection's inbox). One for the whole session: it stays put while the main view
 * changes, and a re-render keeps keyboard focus on the room link it was on.
 */
export function sidebar(
  app: App,
  store: MyRooms,
  invites: Invitations | null = null,
): { el: HTMLElement; setCurrent(roomId: string | null): void; dispose(): void } {
  const list = h('ul', { class: 'my-rooms', 'aria-labelledby': 'my-rooms-h' });
  const status = h('p', { class: 'sidebar-status', role: 'status' });
  let current: string | null = null;

  const render = () => {
    const me = app.me?.id ?? '';
    const focused = (document.activeElement as HTMLElement | null)?.closest?.('a.my-room')?.getAttribute('data-room') ?? null;
    list.setAttribute('aria-busy', String(!store.loaded && !store.failed));
    status.textContent =
      store.failed && !store.loaded ? 'Could not load your rooms.' : store.loaded && store.list.length === 0 ? 'You are in no rooms yet.' : '';
    mount(
      list,
      store.list.map((room) => {
        const unread =
          room.unread > 0
            ? h('span', { class: 'badge' }, room.unread > 99 ? '99+' : String(room.unread), h('span', { class: 'visually-hidden' }, ' unread'))
            : null;
        return h(
          'li',
          null,
          h(
            'a',
            {
              class: room.unread > 0 ? 'my-room has-unread' : 'my-room',
              href: `#/rooms/${encodeURIComponent(room.id)}`,
              'data-room': room.id,
              'aria-current': room.id === current ? 'page' : null,
            },
            h(
              'span',
              { class: 'my-room-line' },
              h('span', { class: 'my-room-name' }, room.visibility === 'private' && h('span', { 'aria-hidden': 'true' }, '🔒 '), room.name),
              room.visibility === 'private' && h('span', { class: 'visually-hidden' }, ' (private)'),
              unread,
            ),
            h(
              'span',
              { class: 'my-room-line' },
              h('span', { class: 'my-room-preview' }, previewOf(room, me)),
              room.last_message && h('time', { datetime: room.last_message.timestamp, class: 'my-room-time' }, when(room.last_message.timestamp)),
            ),
          ),
        );
      }),
    );
    if (focused) list.querySelector<HTMLElement>(`a[data-room="${CSS.escape(focused)}"]`)?.focus({ preventScroll: true });
    setTitle(undefined, store.unreadTotal);
  };

  const off = store.onChange(render);
  render();
  const invitations = invites ? invitationsSection(app, invites) : null;
  const el = h(
    'aside',
    { class: 'sidebar', 'aria-labelledby': 'my-rooms-h' },
    invitations?.el,
    h(
      'div',
      { class: 'sidebar-head' },
      h('h2', { id: 'my-rooms-h', tabindex: -1 }, 'My rooms'),
      h('a', { href: '#/browse', class: 'sidebar-browse' }, 'Browse and create rooms'),
    ),
    list,
    status,
  );
  return {
    el,
    setCurrent(roomId) {
      current = roomId;
      render();
    },
    dispose: () => {
      off();
      invitations?.dispose();
    },
  };
}

/**
 * Invitations waiting for me, above my rooms, newest first: the room, who invited me, and Join /
 * Decline. Hidden while there are none; a new one is announced (polite) as it arrives. Joining
 * opens the room, which arrives in my rooms; after a decline focus moves to the next invitation,
 * or to the heading of my rooms, so the keyboard never drops to the top of the page.
 */
function invitationsSection(app: App, invites: Invitations): { el: HTMLElement; dispose(): void } {
  const list = h('ul', { class: 'invitation-list', 'aria-labelledby': 'invitations-h' });
  const count = h('span', { class: 'badge' });
  const announce = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const section = h(
    'section',
    { class: 'invitations', 'aria-labelledby': 'invitations-h', hidden: true },
    h('h2', { id: 'invitations-h' }, 'Invitations ', count),
    list,
  );
  const errors = new Map<string, string>();
  const busy = new Set<string>();

  const act = async (i: InvitationView, action: 'join' | 'decline') => {
    busy.add(i.room_id);
    errors.delete(i.room_id);
    render();
    const next = invites.list[invites.list.findIndex((x) => x.room_id === i.room_id) + 1]?.room_id ?? null;
    try {
      if (action === 'join') {
        await invites.accept(i.room_id);
        await app.rooms?.refresh();
        app.go(`#/rooms/${encodeURIComponent(i.room_id)}`);
      } else {
        await invites.decline(i.room_id);
        announce.textContent = `Declined the invitation to ${i.room_name}.`;
        const target = next ? list.querySelector<HTMLElement>(`li[data-room="${CSS.escape(next)}"] button`) : null;
        (target ?? document.getElementById('my-rooms-h'))?.focus();
      }
    } catch (err) {
      errors.set(i.room_id, describe(err));
    } finally {
      busy.delete(i.room_id);
      render();
    }
  };

  const render = (arrived?: InvitationView) => {
    const focused = document.activeElement as HTMLElement | null;
    const focusKey = focused?.closest?.('li.invitation') ? `${focused.closest('li.invitation')!.getAttribute('data-room')}:${focused.dataset.action}` : null;
    const items = invites.list;
    section.hidden = items.length === 0;
    count.textContent = String(items.length);
    count.append(h('span', { class: 'visually-hidden' }, items.length === 1 ? ' invitation' : ' invitations'));
    mount(
      list,
      items.map((i) =>
        h(
          'li',
          { class: 'invitation', 'data-room': i.room_id },
          h(
            'p',
            { class: 'invitation-text' },
            h('span', { class: 'invitation-room' }, h('span', { 'aria-hidden': 'true' }, '🔒 '), i.room_name),
            h('span', { class: 'invitation-from' }, `${i.inviter.username} invited you`),
          ),
          h(
            'div',
            { class: 'invitation-actions' },
            h(
              'button',
              {
                type: 'button',
                class: 'primary small',
                'data-action': 'join',
                'aria-label': `Join ${i.room_name}`,
                disabled: busy.has(i.room_id),
                onclick: () => void act(i, 'join'),
              },
              'Join',
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'small',
                'data-action': 'decline',
                'aria-label': `Decline the invitation to ${i.room_name}`,
                disabled: busy.has(i.room_id),
                onclick: () => void act(i, 'decline'),
              },
              'Decline',
            ),
          ),
          errors.has(i.room_id) && h('p', { class: 'field-error', role: 'alert' }, errors.get(i.room_id)!),
        ),
      ),
    );
    if (arrived) announce.textContent = `${invitedSentence(arrived)}.`;
    if (focusKey) {
      const [room, action] = [focusKey.slice(0, focusKey.lastIndexOf(':')), focusKey.slice(focusKey.lastIndexOf(':') + 1)];
      list.querySelector<HTMLElement>(`li[data-room="${CSS.escape(room)}"] button[data-action="${action}"]`)?.focus({ preventScroll: true });
    }
  };

  const off = invites.onChange(render);
  render();
  return { el: h('div', null, section, announce), dispose: off };
}
