import { describe, handleAuthError, header, type App, type View } from '../app.ts';
import { avatarPicker } from '../avatar.ts';
import { h } from '../dom.ts';
import { lastRoom } from '../session.ts';
import { takeNotice } from './signup.ts';

/** One's own name and avatar; changes show at once on every message, old ones included. */
export function profileView(app: App): View {
  const me = app.me!;
  const heading = h('h1', { tabindex: -1 }, 'Your profile');
  const name = h('input', { id: 'profile-name', name: 'username', required: true, maxlength: 32, value: me.username, autocomplete: 'nickname' });
  const picker = avatarPicker('profile-avatar', 'New avatar', { url: me.avatar, userId: me.id });
  const status = h('p', { class: 'form-status', role: 'status' }, takeNotice() ?? '');
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const back = lastRoom();

  const run = async (what: string, work: () => Promise<void>) => {
    save.disabled = true;
    status.textContent = what;
    try {
      await work();
      status.textContent = 'Saved.';
    } catch (err) {
      if (handleAuthError(app, err)) return;
      status.textContent = describe(err);
    } finally {
      save.disabled = false;
    }
  };

  const refreshHeader = () => {
    const old = document.querySelector('header.top');
    old?.replaceWith(header(app, 'profile'));
  };

  const form = h(
    'form',
    {
      class: 'card stack',
      'aria-labelledby': 'profile-h',
      onsubmit: (ev: SubmitEvent) => {
        ev.preventDefault();
        if (picker.hasError()) return;
        void run('Saving…', async () => {
          const username = name.value.trim();
          let user = app.me!;
          if (username && username !== user.username) user = await app.client.updateProfile({ username });
          const file = picker.file();
          if (file) user = await app.client.uploadAvatar(file);
          app.setMe(user);
          refreshHeader();
        });
      },
    },
    h('h2', { id: 'profile-h', class: 'visually-hidden' }, 'Name and avatar'),
    h('div', { class: 'field' }, h('label', { for: 'profile-name' }, 'Display name'), name),
    picker.el,
    h(
      'div',
      { class: 'row' },
      save,
      h(
        'button',
        {
          type: 'button',
          onclick: () =>
            void run('Removing the avatar…', async () => {
              const user = await app.client.updateProfile({ avatar_url: null });
              app.setMe(user);
              refreshHeader();
              app.go('#/profile');
            }),
        },
        'Use the default avatar',
      ),
    ),
    status,
  );

  return {
    title: 'Your profile',
    header: header(app, 'profile'),
    el: h(
      'div',
      { class: 'page narrow' },
      heading,
      back && h('p', null, h('a', { href: `#/rooms/${encodeURIComponent(back)}` }, '← Back to the room')),
      form,
      h('button', { type: 'button', class: 'link', onclick: () => app.signOut() }, 'Sign out'),
    ),
    focus: heading,
    dispose: picker.dispose,
  };
}
