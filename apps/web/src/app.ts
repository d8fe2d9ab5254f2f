import { ApiError, type ChatClient, type UserView } from '@chat/client';
import { avatarImg } from './avatar.ts';
import { h } from './dom.ts';
import type { MyRooms } from './my-rooms.ts';
import { saveSession } from './session.ts';

export interface View {
  /** Above the main content: the site header. */
  header?: HTMLElement;
  el: HTMLElement;
  /** Where focus goes when the view appears (a heading, or the first field). */
  focus?: HTMLElement;
  /** Title of the page for this view. */
  title: string;
  /** The room this view shows (the sidebar marks it); on a phone the sidebar then folds away. */
  roomId?: string;
  dispose?(): void;
}

/** What every view can use: the client, who is signed in, and moving between views. */
export interface App {
  client: ChatClient;
  me: UserView | null;
  /** My rooms (the sidebar's), while signed in. */
  rooms: MyRooms | null;
  setMe(user: UserView | null): void;
  go(hash: string): void;
  signOut(): void;
}

export function header(app: App, current: 'rooms' | 'browse' | 'profile' | 'room'): HTMLElement {
  const me = app.me;
  return h(
    'header',
    { class: 'top' },
    h('a', { class: 'brand', href: '#/' }, 'Chat'),
    h(
      'nav',
      { 'aria-label': 'Main' },
      h('a', { href: '#/', 'aria-current': current === 'rooms' ? 'page' : null }, 'Rooms'),
      h('a', { href: '#/browse', 'aria-current': current === 'browse' ? 'page' : null }, 'Browse'),
      me &&
        h(
          'a',
          { href: '#/profile', class: 'me', 'aria-current': current === 'profile' ? 'page' : null },
          avatarImg(me.avatar, me.id, 32),
          h('span', { class: 'me-name' }, me.username),
          h('span', { class: 'visually-hidden' }, ' (your profile)'),
        ),
    ),
  );
}

/** A sentence for a person out of an error. */
export function describe(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return 'The server cannot be reached. Check the connection and try again.';
    if (err.status === 429) return 'Too fast: wait a moment and try again.';
    if (err.code === 'payload_too_large') return 'That picture is too big (the limit is 1 MiB).';
    if (err.code === 'unsupported_media_type') return 'That file is not a picture we can use (PNG, JPEG, WebP or GIF).';
    if (err.code === 'not_member') return 'Only members of this room can do that.';
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** A session the server no longer accepts (secret changed, expired): start over. */
export function handleAuthError(app: App, err: unknown): boolean {
  if (err instanceof ApiError && err.status === 401) {
    saveSession(null);
    app.signOut();
    return true;
  }
  return false;
}
