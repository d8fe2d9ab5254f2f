import './style.css';
import { ChatClient, type Connection } from '@chat/client';
import type { App, View } from './app.ts';
import { handleAuthError } from './app.ts';
import { connectionBar } from './connection-bar.ts';
import { h, mount, setTitle } from './dom.ts';
import { Invitations } from './invitations.ts';
import { MyRooms } from './my-rooms.ts';
import { sidebar } from './sidebar.ts';
import { loadSession, saveSession } from './session.ts';
import { chatView } from './views/chat.ts';
import { profileView } from './views/profile.ts';
import { browseView } from './views/browse.ts';
import { homeView } from './views/home.ts';
import { signupView } from './views/signup.ts';

const root = document.getElementById('app')!;
let current: View | null = null;
const bar = connectionBar();
let live: Connection | null = null;
let side: ReturnType<typeof sidebar> | null = null;
let invites: Invitations | null = null;

const app: App = {
  client: new ChatClient({ session: loadSession() }),
  me: null,
  rooms: null,
  setMe(user) {
    app.me = user;
  },
  go(hash) {
    if (location.hash === hash) void render();
    else location.hash = hash;
  },
  signOut() {
    saveSession(null);
    app.client.disconnect();
    bar.bind(null);
    live = null;
    side?.dispose();
    side = null;
    app.rooms?.dispose();
    app.rooms = null;
    invites?.dispose();
    invites = null;
    setTitle('Chat', 0);
    app.client.session = null;
    app.me = null;
    app.go('#/');
  },
};

/** Hash routes, so the gateway needs no fallback route: `#/`, `#/browse`, `#/rooms/<id>`, `#/profile`. */
async function render(): Promise<void> {
  current?.dispose?.();
  current = null;
  const route = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  let view: View;
  if (!app.client.session) {
    view = signupView(app);
  } else {
    if (!app.me) {
      try {
        app.me = await app.client.me();
      } catch (err) {
        if (handleAuthError(app, err)) return;
      }
    }
    // One connection for the whole app, open on every page: it carries the rooms, and while it is
    // open this user shows as online to the people in their rooms, whatever page they are on.
    const connection = app.client.connect();
    if (connection !== live) {
      live = connection;
      bar.bind(connection);
      connection.on('error', (err) => handleAuthError(app, err));
      app.rooms?.bind(connection);
      invites?.bind(connection);
    }
    // My rooms and the sidebar: once per session, kept across pages so they stay live.
    if (!app.rooms && app.me) {
      app.rooms = new MyRooms(app.client, app.me.id);
      app.rooms.bind(connection);
      void app.rooms.load().catch((err: unknown) => handleAuthError(app, err));
      // Invitations into private rooms: above my rooms, live, Join or Decline.
      invites = new Invitations(app.client, app.me.id);
      invites.bind(connection);
      void invites.load().catch((err: unknown) => handleAuthError(app, err));
    }
    if (app.rooms && !side) side = sidebar(app, app.rooms, invites);
    if (route[0] === 'rooms' && route[1]) view = chatView(app, route[1]);
    else if (route[0] === 'profile') view = profileView(app);
    else if (route[0] === 'browse') view = browseView(app);
    else view = homeView(app);
  }
  current = view;
  setTitle(`${view.title} · Chat`);
  const main = document.createElement('main');
  main.id = 'main';
  main.tabIndex = -1;
  main.append(view.el);
  if (side && app.client.session) {
    side.setCurrent(view.roomId ?? null);
    const kind = view.roomId ? 'room' : route[0] === '' || route[0] === undefined ? 'home' : 'page';
    mount(root, view.header, bar.el, h('div', { class: 'shell', 'data-view': kind }, side.el, main));
  } else {
    mount(root, view.header, bar.el, main);
  }
  (view.focus ?? main).focus({ preventScroll: true });
}

window.addEventListener('hashchange', () => void render());
// The skip link must not change the hash: that is the router's.
document.querySelector('.skip-link')?.addEventListener('click', (ev) => {
  ev.preventDefault();
  document.getElementById('main')?.focus();
});
void render();
