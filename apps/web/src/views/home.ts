import { header, type App, type View } from '../app.ts';
import { h } from '../dom.ts';
import { takeNotice } from './signup.ts';

/** The start page: my rooms are in the sidebar (on a phone, right below); this says what to do. */
export function homeView(app: App): View {
  const heading = h('h1', { tabindex: -1 }, 'Rooms');
  const notice = takeNotice();
  return {
    title: 'Rooms',
    header: header(app, 'rooms'),
    el: h(
      'div',
      { class: 'page home' },
      heading,
      notice && h('p', { class: 'form-status', role: 'status' }, notice),
      h('p', { class: 'lead' }, 'Pick one of your rooms, or ', h('a', { href: '#/browse' }, 'browse public rooms and start one'), '.'),
    ),
    focus: heading,
  };
}
