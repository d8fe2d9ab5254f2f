import type { RoomView } from '@chat/client';
import { describe, handleAuthError, header, type App, type View } from '../app.ts';
import { h, mount } from '../dom.ts';
import { takeNotice } from './signup.ts';

/** Every room, newest activity first, and a form to start a new one. */
export function roomsView(app: App): View {
  const heading = h('h1', { tabindex: -1 }, 'Rooms');
  const list = h('ul', { class: 'rooms', 'aria-labelledby': 'rooms-h', 'aria-busy': 'true' });
  const status = h('p', { class: 'form-status', role: 'status' }, takeNotice() ?? '');
  const name = h('input', { id: 'new-room', name: 'name', required: true, maxlength: 80, autocomplete: 'off' });
  const create = h('button', { type: 'submit', class: 'primary' }, 'Create and join');

  const form = h(
    'form',
    {
      class: 'card inline-form',
      'aria-labelledby': 'create-h',
      onsubmit: async (ev: SubmitEvent) => {
        ev.preventDefault();
        const roomName = name.value.trim();
        if (!roomName) return name.focus();
        create.disabled = true;
        status.textContent = 'Creating the room…';
        try {
          const room = await app.client.createRoom({ name: roomName });
          app.go(`#/rooms/${encodeURIComponent(room.id)}`);
        } catch (err) {
          if (handleAuthError(app, err)) return;
          status.textContent = describe(err);
          create.disabled = false;
        }
      },
    },
    h('h2', { id: 'create-h' }, 'Start a room'),
    h('div', { class: 'field' }, h('label', { for: 'new-room' }, 'Room name'), h('div', { class: 'row' }, name, create)),
  );

  const show = (rooms: RoomView[]) => {
    list.removeAttribute('aria-busy');
    if (rooms.length === 0) return mount(list, h('li', { class: 'empty' }, 'No rooms yet: start the first one below.'));
    mount(
      list,
      rooms.map((room) =>
        h(
          'li',
          null,
          h(
            'a',
            { href: `#/rooms/${encodeURIComponent(room.id)}`, class: 'room-link' },
            h('span', { class: 'room-name' }, room.name),
            h('span', { class: 'room-meta' }, `${room.member_count} ${room.member_count === 1 ? 'member' : 'members'}`),
          ),
        ),
      ),
    );
  };
  app.client.listRooms().then(show, (err: unknown) => {
    if (handleAuthError(app, err)) return;
    list.removeAttribute('aria-busy');
    status.textContent = `Could not load the rooms: ${describe(err)}`;
  });

  return {
    title: 'Rooms',
    header: header(app, 'rooms'),
    el: h('div', { class: 'page' }, heading, h('h2', { id: 'rooms-h', class: 'visually-hidden' }, 'All rooms'), list, status, form),
    focus: heading,
  };
}
