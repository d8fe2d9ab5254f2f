import { h } from './dom.ts';

/**
 * The editor that takes a message's text's place: Enter saves, Shift+Enter is a new line, Escape
 * (or Cancel) leaves it unchanged. `save` gets the new text (not called when it is empty or the
 * same); `done` puts the message back. A failed save says why and keeps the draft.
 */
export function editForm(
  initial: string,
  opts: { save(content: string): Promise<void>; done(): void; failed(err: unknown): string },
): { form: HTMLFormElement; focus(): void } {
  const box = h('textarea', { class: 'edit-box', 'aria-label': 'Edit message', rows: 2, maxlength: 4000, value: initial });
  const save = h('button', { type: 'submit', class: 'primary small' }, 'Save');
  const hint = h('p', { class: 'hint', role: 'status' }, 'Enter saves, Escape cancels.');
  const form = h(
    'form',
    {
      class: 'edit-form',
      onsubmit: async (ev: SubmitEvent) => {
        ev.preventDefault();
        const content = box.value.trim();
        if (!content || content === initial) return opts.done();
        save.disabled = true;
        try {
          await opts.save(content);
          opts.done();
        } catch (err) {
          hint.textContent = `Not saved: ${opts.failed(err)}`;
          save.disabled = false;
        }
      },
    },
    box,
    h('div', { class: 'row' }, save, h('button', { type: 'button', class: 'small', onclick: () => opts.done() }, 'Cancel')),
    hint,
  );
  box.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      opts.done();
    } else if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  return {
    form,
    focus() {
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    },
  };
}

/**
 * "Delete this message?" in place of a message's actions, focus on the safe answer; Escape keeps
 * the message.
 */
export function deleteConfirm(opts: { yes(): void; no(): void }): { el: HTMLElement; focus(): void } {
  const no = h('button', { type: 'button', class: 'act', 'data-key': 'delete-no', onclick: () => opts.no() }, 'Keep it');
  const yes = h('button', { type: 'button', class: 'act danger', 'data-key': 'delete-yes' }, 'Delete');
  yes.addEventListener('click', () => {
    yes.disabled = true;
    opts.yes();
  });
  const el = h('div', { class: 'actions confirming', role: 'group', 'aria-label': 'Delete this message?' }, h('span', null, 'Delete this message?'), yes, no);
  el.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') opts.no();
  });
  return { el, focus: () => no.focus() };
}
