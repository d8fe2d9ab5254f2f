import type { App } from './app.ts';
import { h, mount, setTitle } from './dom.ts';
import { previewOf } from './inbox.ts';
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
export function sidebar(app: App, store: MyRooms): { el: HTMLElement; setCurrent(roomId: string | null): void; dispose(): void } {
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
  const el = h(
    'aside',
    { class: 'sidebar', 'aria-labelledby': 'my-rooms-h' },
    h(
      'div',
      { class: 'sidebar-head' },
      h('h2', { id: 'my-rooms-h' }, 'My rooms'),
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
    dispose: off,
  };
}
