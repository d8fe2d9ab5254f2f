import { ApiError } from '@chat/client';
import { describe, handleAuthError, type App } from '../app.ts';
import { h } from '../dom.ts';

/**
 * "Invite…" in a private room: a member names a user by id; the invitee then joins from the
 * room's link (the app has no inbox of invitations).
 */
export function inviteForm(app: App, roomId: string): HTMLElement {
  const field = h('input', { id: 'invite-user', name: 'invitee', required: true, maxlength: 64, autocomplete: 'off', spellcheck: false });
  const result = h('p', { class: 'form-status', role: 'status' });
  const invite = h(
    'form',
    {
      class: 'invite-form',
      hidden: true,
      onsubmit: async (ev: SubmitEvent) => {
        ev.preventDefault();
        const invitee = field.value.trim();
        if (!invitee) return field.focus();
        result.textContent = 'Inviting…';
        try {
          const answer = await app.client.invite(roomId, invitee);
          result.textContent = `${answer.invited ? 'Invited' : 'Already invited'}. They join from this room's link: ${location.href}`;
          field.value = '';
        } catch (err) {
          if (handleAuthError(app, err)) return;
          result.textContent = err instanceof ApiError && err.status === 404 ? 'No user has that id.' : describe(err);
        }
      },
    },
    h('label', { for: 'invite-user' }, 'User id to invite'),
    h('div', { class: 'row' }, field, h('button', { type: 'submit', class: 'primary small' }, 'Invite')),
    result,
  );
  const toggle = h('button', { type: 'button', class: 'small', 'aria-expanded': 'false', 'aria-controls': 'invite' }, 'Invite…');
  invite.id = 'invite';
  toggle.addEventListener('click', () => {
    invite.hidden = !invite.hidden;
    toggle.setAttribute('aria-expanded', String(!invite.hidden));
    if (!invite.hidden) field.focus();
  });
  return h('div', { class: 'invite' }, toggle, invite);
}
