import type { RoomView } from '@chat/client';
import { describe, handleAuthError, header, type App, type View } from '../app.ts';
import { h, mount } from '../dom.ts';

const PAGE = 50;

/**
 * Every room I can see (public ones, and private ones I am in), newest activity first, a page at
 * a time; opening one that is not mine previews it read-only, with a Join button. And a form to
 * start a room, public or private.
 */
export function browseView(app: App): View {
  const heading = h('h1', { tabindex: -1 }, 'Browse rooms');
  const list = h('ul', { class: 'rooms', 'aria-labelledby': 'rooms-h', 'aria-busy': 'true' });
  const status = h('p', { class: 'form-status', role: 'status' });
  const more = h('button', { type: 'button', class: 'link', hidden: true }, 'Show more rooms');
  const name = h('input', { id: 'new-room', name: 'name', required: true, maxlength: 80, autocomplete: 'off' });
  const privacy = h('input', { id: 'new-room-private', name: 'private', type: 'checkbox', 'aria-describedby': 'new-room-private-hint' });
  const create = h('button', { type: 'submit', class: 'primary' }, 'Create room');
  const createStatus = h('p', { class: 'form-status', role: 'status' });
  let next: number | undefined;
  const shown: RoomView[] = [];

  const form = h(
    'form',
    {
      class: 'card stack',
      'aria-labelledby': 'create-h',
      onsubmit: async (ev: SubmitEvent) => {
        ev.preventDefault();
        const roomName = name.value.trim();
        if (!roomName) return name.focus();
        create.disabled = true;
        createStatus.textContent = 'Creating the room…';
        try {
          const room = await app.client.createRoom({ name: roomName, visibility: privacy.checked ? 'private' : 'public' });
          // The creator of a private room is its first member; a public one is joined here.
          if (room.visibility === 'public') await app.client.join(room.id);
          await app.rooms?.refresh();
          app.go(`#/rooms/${encodeURIComponent(room.id)}`);
        } catch (err) {
          if (handleAuthError(app, err)) return;
          createStatus.textContent = describe(err);
          create.disabled = false;
        }
      },
    },
    h('h2', { id: 'create-h' }, 'Start a room'),
    h('div', { class: 'field' }, h('label', { for: 'new-room' }, 'Room name'), name),
    h(
      'div',
      { class: 'check' },
      privacy,
      h('label', { for: 'new-room-private' }, 'Private'),
      h('p', { id: 'new-room-private-hint', class: 'hint' }, 'Only members can read it; you invite people by their user id.'),
    ),
    create,
    createStatus,
  );

  const item = (room: RoomView) => {
    const mine = app.rooms?.has(room.id) ?? false;
    return h(
      'li',
      null,
      h(
        'a',
        { href: `#/rooms/${encodeURIComponent(room.id)}`, class: 'room-link', 'data-room': room.id },
        h('span', { class: 'room-name' }, room.visibility === 'private' && h('span', { 'aria-hidden': 'true' }, '🔒 '), room.name),
        h(
          'span',
          { class: 'room-meta' },
          `${room.member_count} ${room.member_count === 1 ? 'member' : 'members'}`,
          room.visibility === 'private' ? ' · private' : '',
          mine ? ' · joined' : '',
        ),
      ),
    );
  };

  async function load(): Promise<void> {
    more.disabled = true;
    try {
      const page = await app.client.roomsPage({ limit: PAGE, before: next });
      shown.push(...page.items);
      next = page.nextBefore;
      list.removeAttribute('aria-busy');
      if (shown.length === 0) mount(list, h('li', { class: 'empty' }, 'No rooms yet: start the first one below.'));
      else mount(list, shown.map(item));
      more.hidden = next === undefined;
    } catch (err) {
      if (handleAuthError(app, err)) return;
      list.removeAttribute('aria-busy');
      status.textContent = `Could not load the rooms: ${describe(err)}`;
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => void load());
  void load();

  return {
    title: 'Browse rooms',
    header: header(app, 'browse'),
    el: h(
      'div',
      { class: 'page' },
      heading,
      h('h2', { id: 'rooms-h' }, 'Public rooms'),
      h('p', { class: 'hint' }, 'Open one to read it before joining.'),
      list,
      more,
      status,
      form,
    ),
    focus: heading,
  };
}
