import { AvatarUploadError } from '@chat/client';
import { describe, type App, type View } from '../app.ts';
import { avatarPicker } from '../avatar.ts';
import { h } from '../dom.ts';
import { saveSession } from '../session.ts';

/** Sign up: a name and, if wanted, an avatar picture (previewed before it is sent). */
export function signupView(app: App): View {
  const heading = h('h1', { id: 'signup-h' }, 'Join the chat');
  const name = h('input', {
    id: 'signup-name',
    name: 'username',
    required: true,
    maxlength: 32,
    autocomplete: 'nickname',
    autocapitalize: 'words',
    spellcheck: false,
  });
  const picker = avatarPicker('signup-avatar', 'Avatar (optional)');
  const status = h('p', { class: 'form-status', role: 'status' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign up');

  const form = h(
    'form',
    {
      class: 'card stack',
      'aria-labelledby': 'signup-h',
      onsubmit: async (ev: SubmitEvent) => {
        ev.preventDefault();
        if (picker.hasError()) return;
        const username = name.value.trim();
        if (!username) {
          status.textContent = 'Enter a name.';
          name.focus();
          return;
        }
        submit.disabled = true;
        status.textContent = 'Signing up…';
        try {
          const avatar = picker.file();
          const { user, token } = await app.client.register(username, avatar ? { avatar } : {});
          saveSession({ userId: user.id, token });
          app.setMe(user);
          app.go('#/');
        } catch (err) {
          if (err instanceof AvatarUploadError) {
            // Registered all the same: go on, and say the picture can be added from the profile.
            saveSession(app.client.session);
            app.setMe(err.registered.user);
            alertLater(`Signed up, but the avatar was not saved: ${describe(err.cause)} You can add it from your profile.`);
            app.go('#/profile');
            return;
          }
          status.textContent = describe(err);
          submit.disabled = false;
        }
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'signup-name' }, 'Display name'), name),
    picker.el,
    submit,
    status,
  );

  return {
    title: 'Sign up',
    el: h('div', { class: 'page narrow' }, heading, h('p', { class: 'lead' }, 'Pick a name, and a picture if you like. Nothing else needed.'), form),
    focus: name,
    dispose: picker.dispose,
  };
}

/** A message for the next view's status line. */
export function alertLater(text: string): void {
  sessionStorage.setItem('chat.notice', text);
}

export function takeNotice(): string | null {
  const text = sessionStorage.getItem('chat.notice');
  sessionStorage.removeItem('chat.notice');
  return text;
}
