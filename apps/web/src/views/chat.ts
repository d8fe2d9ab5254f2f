import {
  ApiError,
  Timeline,
  isAccepted,
  newClientMsgId,
  type MemberView,
  type MessageView,
  type Person,
  type ProfileChange,
  type Room,
  type RoomState,
  type RoomView,
} from '@chat/client';
import { describe, handleAuthError, header, type App, type View } from '../app.ts';
import { avatarImg, setAvatar } from '../avatar.ts';
import { h, mount, setTitle } from '../dom.ts';
import { continues, startsDay } from '../grouping.ts';
import { editForm, deleteConfirm } from '../message-edit.ts';
import { daySeparator, emojiPicker, messageItem, type ItemContext } from '../message-item.ts';
import { rememberRoom } from '../session.ts';
import { inviteForm } from './invite-form.ts';

const PAGE = 50;
const TYPING_SHOWN_MS = 4000;

/** The room's line. While the connection is down the bar above says why; this line does not repeat it. */
const STATE_TEXT: Record<RoomState | 'connecting' | 'reconnecting' | 'offline', string> = {
  pending: 'Waiting for the connection…',
  connecting: 'Waiting for the connection…',
  reconnecting: 'Waiting for the connection…',
  offline: 'Waiting for the connection. Messages will catch up when it is back.',
  subscribing: 'Catching up…',
  live: 'Live',
  refused: 'You cannot follow this room.',
  closed: 'Disconnected',
};

/** A message on screen: its row, and the day line before it when it starts a day. */
interface Block {
  day: HTMLLIElement | null;
  li: HTMLLIElement;
}

/**
 * A room. For a member: history (older pages on request), live messages grouped by author with
 * day lines, edit, delete and reactions, who is online and typing, the composer, Leave (and, in
 * a private room, Invite); reading it marks it read. For anyone else: a public room read-only
 * with a Join button; a private room a clear refusal. After a reconnect a "New messages" line
 * marks where the missed ones begin.
 */
export function chatView(app: App, roomId: string): View {
  const me = app.me!;
  const client = app.client;
  const timeline = new Timeline();
  const members = new Map<string, ProfileChange>();
  const blocks = new Map<number, Block>();
  const pendingItems = new Map<string, HTMLLIElement>();
  const typers = new Map<string, number>();
  /** Messages being edited, by id: their rows are not redrawn meanwhile (that would drop the draft). */
  const editing = new Set<string>();
  let online: Person[] = [];
  let room: Room | null = null;
  let info: RoomView | null = null;
  let member = false;
  const connection = client.connect();
  const pager = client.historyPager(roomId, PAGE);
  let disposed = false;
  let divider: HTMLLIElement | null = null;
  let dividerThisGap = false;
  /** Follow the newest message (the reader is at the bottom); off while they read further up. */
  let stick = true;

  rememberRoom(roomId);
  const title = h('h1', { tabindex: -1, class: 'room-title' }, roomId);
  const status = h('p', { class: 'conn-status', role: 'status', 'data-state': 'pending' }, 'Opening the room…');
  const actions = h('div', { class: 'room-actions' });
  const notice = h('div', { class: 'room-notice', hidden: true });
  const presenceList = h('ul', { class: 'presence', 'aria-labelledby': 'online-h' });
  const olderButton = h('button', { type: 'button', class: 'link older', hidden: true }, 'Load older messages');
  const list = h('ol', { class: 'messages', 'aria-label': 'Messages' });
  const pendingList = h('ol', { class: 'messages pending-list', 'aria-label': 'Messages being sent' });
  const scroller = h(
    'section',
    { class: 'timeline', 'aria-labelledby': 'messages-h', tabindex: 0 },
    h('h2', { id: 'messages-h', class: 'visually-hidden' }, 'Messages'),
    olderButton,
    list,
    pendingList,
  );
  // New messages are read out by a polite live region of their own (the list itself would also
  // announce history pages and avatar updates).
  const announcer = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const typing = h('p', { class: 'typing', 'aria-live': 'polite' });
  const input = h('textarea', {
    id: 'composer-input',
    name: 'content',
    rows: 1,
    maxlength: 4000,
    placeholder: 'Write a message',
    enterkeyhint: 'send',
    autocomplete: 'off',
  });
  const sendButton = h('button', { type: 'submit', class: 'primary' }, 'Send');
  const composerLabel = h('label', { for: 'composer-input', class: 'visually-hidden' }, `Message ${roomId}`);

  // ---- rendering --------------------------------------------------------------------------

  const nameOf = (userId: string) => members.get(userId)?.username ?? userId;
  const ctx = (): ItemContext => ({ me: me.id, member, nameOf });

  /** Draws the message at `index` again (its neighbours decide its grouping and day line). */
  function draw(index: number): void {
    const m = timeline.messages[index];
    if (!m || editing.has(m.id)) return;
    const prev = timeline.messages[index - 1];
    const li = messageItem(m, continues(prev, m), ctx());
    const day = startsDay(prev, m) ? daySeparator(m.timestamp) : null;
    const old = blocks.get(m.seq);
    blocks.set(m.seq, { day, li });
    if (old) {
      const hadFocus = old.li.contains(document.activeElement) ? ((document.activeElement as HTMLElement).dataset.key ?? '') : null;
      const first = old.day ?? old.li;
      if (day) first.before(day);
      first.before(li);
      old.day?.remove();
      old.li.remove();
      if (hadFocus !== null) ((hadFocus && li.querySelector<HTMLElement>(`[data-key="${CSS.escape(hadFocus)}"]`)) || li).focus({ preventScroll: true });
      return;
    }
    const next = timeline.messages[index + 1];
    const nextBlock = next ? blocks.get(next.seq) : undefined;
    let anchor: Element | null = nextBlock ? (nextBlock.day ?? nextBlock.li) : null;
    // A message older than the divider's goes above the divider, not between it and its message.
    if (anchor && divider && anchor.previousElementSibling === divider) anchor = divider;
    if (day) list.insertBefore(day, anchor);
    list.insertBefore(li, anchor);
  }

  function render(m: MessageView): { added: boolean; li: HTMLLIElement } {
    const { change, index } = timeline.upsert(m);
    draw(index);
    // The next message's grouping and day line depend on this one.
    if (change === 'added') draw(index + 1);
    if (m.client_msg_id && pendingItems.has(m.client_msg_id)) {
      pendingItems.get(m.client_msg_id)!.remove();
      pendingItems.delete(m.client_msg_id);
    }
    return { added: change === 'added', li: blocks.get(m.seq)!.li };
  }

  function placeDivider(before: HTMLLIElement): void {
    divider?.remove();
    divider = h('li', { class: 'divider', role: 'separator', 'aria-label': 'New messages' }, h('span', null, 'New messages'));
    const block = [...blocks.values()].find((b) => b.li === before);
    list.insertBefore(divider, block?.day ?? before);
  }

  const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  const toBottom = () => {
    scroller.scrollTop = scroller.scrollHeight;
  };
  scroller.addEventListener('scroll', () => {
    stick = nearBottom();
  });
  // Whatever changes the height below (pictures and fonts arriving, a reaction row, a phone's
  // keyboard): while the reader is at the newest message, they stay there, all of it in view.
  const resizes = new ResizeObserver(() => {
    if (stick) toBottom();
  });
  resizes.observe(list);
  resizes.observe(scroller);
  list.addEventListener('load', () => stick && toBottom(), true);

  function renderPresence(): void {
    const people = [...online].sort((a, b) => (a.user_id === me.id ? -1 : b.user_id === me.id ? 1 : a.username.localeCompare(b.username)));
    mount(
      presenceList,
      people.map((p) =>
        h('li', { 'data-user': p.user_id }, avatarImg(p.avatar, p.user_id, 24), h('span', null, p.user_id === me.id ? `${p.username} (you)` : p.username)),
      ),
    );
    presenceList.setAttribute('aria-label', `${people.length} online`);
  }

  function renderTyping(): void {
    const now = Date.now();
    for (const [id, until] of typers) if (until < now) typers.delete(id);
    const names = [...typers.keys()].map(nameOf);
    typing.textContent =
      names.length === 0
        ? ''
        : names.length === 1
          ? `${names[0]} is typing…`
          : names.length === 2
            ? `${names[0]} and ${names[1]} are typing…`
            : 'Several people are typing…';
  }
  const typingTimer = setInterval(renderTyping, 1000);

  function applyProfile(user: ProfileChange): void {
    members.set(user.id, user);
    for (const m of timeline.applyProfile(user)) render(m);
    for (const img of presenceList.querySelectorAll<HTMLImageElement>(`img[data-user="${CSS.escape(user.id)}"]`)) setAvatar(img, user.avatar, user.id);
    renderPresence();
    if (user.id === me.id) {
      app.setMe({ ...me, username: user.username, avatar: user.avatar });
      document.querySelector('header.top')?.replaceWith(header(app, 'room'));
    }
  }

  // ---- reading ----------------------------------------------------------------------------

  /** The newest event on screen: what the read marker moves to. */
  const newestShown = (): number | undefined => {
    const cursor = room?.cursor.value;
    const seq = timeline.newestSeq;
    return cursor === undefined ? seq : seq === undefined ? cursor : Math.max(cursor, seq);
  };
  const markRead = () => {
    if (!member || document.visibilityState !== 'visible') return;
    app.rooms?.noteShown(roomId, newestShown());
  };
  const onVisibility = () => {
    if (app.rooms) app.rooms.reading = document.visibilityState === 'visible' && member ? roomId : null;
    markRead();
  };
  document.addEventListener('visibilitychange', onVisibility);

  // ---- message actions --------------------------------------------------------------------

  const messageOf = (li: HTMLElement): MessageView | undefined => timeline.messages.find((m) => m.seq === Number(li.dataset.seq));

  async function act(work: () => Promise<MessageView>, what: string): Promise<void> {
    try {
      const m = await work();
      render(m);
      app.rooms?.noteUpdated(roomId, m);
    } catch (err) {
      if (handleAuthError(app, err)) return;
      announce(`Could not ${what}: ${describe(err)}`);
      status.textContent = `Could not ${what}: ${describe(err)}`;
    }
  }

  function closePickers(except?: Element): void {
    for (const p of list.querySelectorAll('.picker')) {
      if (p === except) continue;
      p.previousElementSibling?.setAttribute('aria-expanded', 'false');
      p.remove();
    }
  }

  function startEdit(li: HTMLLIElement, m: MessageView): void {
    const done = () => {
      editing.delete(m.id);
      draw(timeline.messages.findIndex((x) => x.id === m.id));
      blocks.get(m.seq)?.li.querySelector<HTMLElement>('[data-key="edit"]')?.focus();
    };
    const editor = editForm(m.content, {
      save: async (content) => {
        const updated = await client.editMessage(roomId, m.id, content);
        timeline.upsert(updated);
        app.rooms?.noteUpdated(roomId, updated);
      },
      done,
      failed: (err) => (handleAuthError(app, err) ? '' : describe(err)),
    });
    editing.add(m.id);
    li.querySelector('.text')?.replaceWith(editor.form);
    li.querySelector('.actions')?.setAttribute('hidden', '');
    editor.focus();
  }

  function confirmDelete(li: HTMLLIElement, m: MessageView): void {
    const bar = li.querySelector<HTMLElement>('.actions')!;
    const confirm = deleteConfirm({
      yes: () => void act(() => client.deleteMessage(roomId, m.id), 'delete the message').then(() => blocks.get(m.seq)?.li.focus()),
      no: () => {
        confirm.el.replaceWith(bar);
        bar.querySelector<HTMLElement>('[data-key="delete"]')?.focus();
      },
    });
    bar.replaceWith(confirm.el);
    confirm.focus();
  }

  list.addEventListener('click', (ev) => {
    const button = (ev.target as Element).closest<HTMLButtonElement>('button[data-action]');
    const li = button?.closest<HTMLLIElement>('li.msg');
    if (!button || !li || !member) return;
    const m = messageOf(li);
    if (!m) return;
    const emoji = button.dataset.emoji ?? '';
    switch (button.dataset.action) {
      case 'pick': {
        const open = button.nextElementSibling?.classList.contains('picker');
        closePickers();
        if (open) return;
        const picker = emojiPicker();
        button.after(picker);
        button.setAttribute('aria-expanded', 'true');
        picker.querySelector('button')?.focus();
        return;
      }
      case 'react':
        closePickers();
        li.querySelector<HTMLElement>('[data-key="add-reaction"]')?.focus();
        void act(() => (client.reacted(m, emoji) ? client.unreact(roomId, m.id, emoji) : client.react(roomId, m.id, emoji)), 'react');
        return;
      case 'toggle':
        void act(() => (client.reacted(m, emoji) ? client.unreact(roomId, m.id, emoji) : client.react(roomId, m.id, emoji)), 'react');
        return;
      case 'edit':
        startEdit(li, m);
        return;
      case 'delete':
        confirmDelete(li, m);
        return;
    }
  });
  list.addEventListener('keydown', (ev) => {
    const picker = (ev.target as Element).closest('.picker');
    if (!picker) return;
    if (ev.key === 'Escape') {
      const opener = picker.previousElementSibling as HTMLElement | null;
      closePickers();
      opener?.focus();
    } else if (ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') {
      const buttons = [...picker.querySelectorAll<HTMLElement>('button')];
      const at = buttons.indexOf(ev.target as HTMLElement);
      buttons[(at + (ev.key === 'ArrowRight' ? 1 : buttons.length - 1)) % buttons.length]?.focus();
      ev.preventDefault();
    }
  });

  const announce = (text: string) => {
    announcer.textContent = text;
  };

  // ---- sending ----------------------------------------------------------------------------

  function send(content: string, clientMsgId = newClientMsgId()): void {
    const retry = h(
      'button',
      {
        type: 'button',
        class: 'link',
        hidden: true,
        onclick: () => {
          li.remove();
          pendingItems.delete(clientMsgId);
          send(content, clientMsgId);
        },
      },
      'Retry',
    );
    const note = h('span', { class: 'pending-note' }, pendingNote());
    const li = h(
      'li',
      { class: 'msg mine pending', 'data-client-msg-id': clientMsgId },
      avatarImg(app.me!.avatar, me.id, 40),
      h(
        'div',
        { class: 'bubble' },
        h('p', { class: 'meta' }, h('span', { class: 'name' }, app.me!.username), ' ', note, ' ', retry),
        h('p', { class: 'text' }, content),
      ),
    );
    pendingItems.set(clientMsgId, li);
    pendingList.append(li);
    stick = true;
    toBottom();
    // The same client_msg_id on every try: a retry after a lost answer, or one made once the
    // connection is back, is never a second message.
    room!
      .send(content, { clientMsgId })
      .then((result) => {
        if (disposed) return;
        if (!isAccepted(result)) {
          render(result);
          markRead();
        } else note.textContent = 'Sent';
      })
      .catch((err: unknown) => {
        if (disposed || handleAuthError(app, err)) return;
        note.textContent = `Not sent: ${describe(err)}`;
        retry.hidden = false;
      });
  }

  const form = h(
    'form',
    {
      class: 'composer',
      hidden: true,
      onsubmit: (ev: SubmitEvent) => {
        ev.preventDefault();
        const content = input.value.trim();
        if (!content || !room) return;
        input.value = '';
        send(content);
      },
    },
    composerLabel,
    input,
    sendButton,
  );
  input.addEventListener('keydown', (ev) => {
    // Enter sends, Shift+Enter is a new line; not while an input method is composing a character.
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener('input', () => room?.typing());

  /** What a message still being sent is waiting for. */
  const pendingNote = () => (connection.state === 'connected' ? 'Sending…' : 'Will be sent when the connection is back');
  const offConnection = connection.on('state', () => {
    for (const note of pendingList.querySelectorAll<HTMLElement>('.pending-note')) {
      if (!note.textContent?.startsWith('Not sent')) note.textContent = pendingNote();
    }
    showState();
  });

  function showState(): void {
    if (!member) return;
    const state = connection.state === 'connected' || connection.state === 'closed' ? (room?.state ?? 'pending') : connection.state;
    status.dataset.state = state;
    status.dataset.transport = connection.transportKind ?? '';
    status.textContent = STATE_TEXT[state];
  }

  // ---- membership -------------------------------------------------------------------------

  async function join(button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await client.join(roomId);
      await app.rooms?.refresh();
      app.go(location.hash);
    } catch (err) {
      if (handleAuthError(app, err)) return;
      button.disabled = false;
      const text =
        err instanceof ApiError && err.status === 403
          ? 'You cannot join this room: it is private and no member has invited you.'
          : `Could not join: ${describe(err)}`;
      // Said next to the button, which stays: an invitation may still come.
      const line = notice.querySelector('[role="alert"]') ?? notice.appendChild(h('p', { role: 'alert', class: 'field-error' }));
      line.textContent = text;
      notice.hidden = false;
    }
  }

  async function leave(button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await client.leave(roomId);
      room?.close();
      app.rooms?.remove(roomId);
      void app.rooms?.refresh();
      app.go(location.hash);
    } catch (err) {
      if (handleAuthError(app, err)) return;
      button.disabled = false;
      status.textContent = `Could not leave: ${describe(err)}`;
    }
  }

  // ---- loading and live -------------------------------------------------------------------

  async function loadOlder(): Promise<void> {
    if (pager.done) return;
    olderButton.disabled = true;
    try {
      const page = await pager.older();
      const height = scroller.scrollHeight;
      for (const m of page) render(m);
      // Keep what the reader was looking at in place.
      scroller.scrollTop += scroller.scrollHeight - height;
      olderButton.hidden = pager.done;
    } catch (err) {
      status.textContent = `Could not load older messages: ${describe(err)}`;
    } finally {
      olderButton.disabled = false;
    }
  }
  olderButton.addEventListener('click', () => void loadOlder());

  function refuse(err: unknown): void {
    status.dataset.state = 'closed';
    scroller.hidden = true;
    if (err instanceof ApiError && (err.code === 'not_member' || err.status === 403)) {
      title.textContent = 'Private room';
      status.textContent = 'This room is private: only its members can read it.';
      const joinButton = h('button', { type: 'button', class: 'primary', onclick: () => void join(joinButton) }, 'Join with an invitation');
      mount(
        notice,
        h('p', null, 'If a member has invited you, you can join it. Otherwise, ask a member to invite you with your user id: ', h('code', null, me.id)),
        joinButton,
      );
      notice.hidden = false;
    } else if (err instanceof ApiError && err.status === 404) {
      title.textContent = 'No such room';
      status.textContent = 'There is no room with this address.';
    } else {
      status.textContent = `Could not open the room: ${describe(err)}`;
    }
  }

  async function start(): Promise<void> {
    try {
      if (app.rooms && !app.rooms.loaded) await app.rooms.load().catch(() => undefined);
      member = app.rooms?.has(roomId) ?? false;
      const [room_, history, roomMembers] = await Promise.all([client.getRoom(roomId), pager.older(), client.members(roomId)]);
      if (disposed) return;
      info = room_;
      // Joined just now on another device (the list has not heard yet), or the list could not load:
      // the room's members say.
      if (!member && roomMembers.some((x) => x.user_id === me.id)) {
        member = true;
        void app.rooms?.refresh();
      }
      title.textContent = info.name;
      setTitle(`${info.name} · Chat`);
      for (const m of roomMembers) members.set(m.user_id, { id: m.user_id, username: m.username, avatar: m.avatar });
      for (const m of history) render(m);
      olderButton.hidden = pager.done;
      stick = true;
      toBottom();
      requestAnimationFrame(toBottom);
    } catch (err) {
      if (handleAuthError(app, err)) return;
      refuse(err);
      return;
    }
    if (!member) {
      status.dataset.state = 'preview';
      status.textContent = 'Preview: you are reading this room without joining it.';
      const joinButton = h('button', { type: 'button', class: 'primary', onclick: () => void join(joinButton) }, 'Join room');
      mount(notice, h('p', null, 'Join to post, react and get new messages as they come.'), joinButton);
      notice.hidden = false;
      return;
    }
    const leaveButton = h('button', { type: 'button', class: 'small', onclick: () => void leave(leaveButton) }, 'Leave room');
    mount(actions, info.visibility === 'private' && inviteForm(app, roomId), leaveButton);
    form.hidden = false;
    composerLabel.textContent = `Message ${info.name}`;
    if (document.activeElement === title || document.activeElement === document.body) input.focus({ preventScroll: true });
    if (app.rooms) app.rooms.reading = document.visibilityState === 'visible' ? roomId : null;
    markRead();
    room = client.subscribe(roomId, { since: timeline.newestSeq });
    room.on('state', showState);
    showState();
    room.on('message', ({ message, replayed }) => {
      const follow = stick || message.user_id === me.id;
      const { added, li } = render(message);
      app.rooms?.noteMessage(roomId, message);
      if (added && replayed && !dividerThisGap && message.user_id !== me.id) {
        placeDivider(li);
        dividerThisGap = true;
      }
      if (message.user_id !== me.id && message.type === 'text') {
        typers.delete(message.user_id);
        renderTyping();
        if (!replayed) announce(`${message.username}: ${message.content}`);
      }
      if (follow) {
        stick = true;
        toBottom();
      }
      markRead();
    });
    room.on('resumed', ({ missed }) => {
      dividerThisGap = false;
      if (missed > 0) announce(`Back online. ${missed} new ${missed === 1 ? 'message' : 'messages'}.`);
    });
    room.on('message_updated', (m) => {
      render(m);
      app.rooms?.noteUpdated(roomId, m);
    });
    room.on('member_joined', (m: MemberView) => {
      members.set(m.user_id, { id: m.user_id, username: m.username, avatar: m.avatar });
    });
    room.on('profile_updated', applyProfile);
    room.on('presence', (p) => {
      online = p.online;
      renderPresence();
    });
    room.on('typing', ({ user_id }) => {
      if (user_id === me.id) return;
      typers.set(user_id, Date.now() + TYPING_SHOWN_MS);
      renderTyping();
    });
    room.on('error', (err) => {
      if (err.code === 'not_member') status.textContent = 'You are no longer a member of this room.';
    });
  }
  void start();

  return {
    title: roomId,
    roomId,
    header: header(app, 'room'),
    el: h(
      'div',
      { class: 'chat' },
      h(
        'div',
        { class: 'chat-head' },
        h('a', { href: '#/', class: 'back' }, h('span', { 'aria-hidden': 'true' }, '← '), 'My rooms'),
        h('div', { class: 'chat-title-row' }, title, actions),
        status,
        notice,
        h('h2', { id: 'online-h', class: 'visually-hidden' }, 'Online now'),
        presenceList,
      ),
      scroller,
      announcer,
      typing,
      form,
    ),
    // The composer takes focus once the room turns out to be one of mine.
    focus: title,
    dispose() {
      disposed = true;
      clearInterval(typingTimer);
      offConnection();
      resizes.disconnect();
      document.removeEventListener('visibilitychange', onVisibility);
      if (app.rooms?.reading === roomId) app.rooms.reading = null;
      // The room only: the connection stays open for the other pages (and presence).
      room?.close();
    },
  };
}
