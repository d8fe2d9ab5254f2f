import {
  Timeline,
  isAccepted,
  newClientMsgId,
  type MemberView,
  type MessageView,
  type ProfileChange,
  type RoomConnection,
  type RoomEvents,
} from '@chat/client';
import { describe, handleAuthError, header, type App, type View } from '../app.ts';
import { avatarImg, setAvatar } from '../avatar.ts';
import { h, mount } from '../dom.ts';
import { rememberRoom } from '../session.ts';

const PAGE = 50;
const TYPING_SHOWN_MS = 4000;

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const STATE_TEXT: Record<RoomEvents['state']['state'], string> = {
  connecting: 'Connecting…',
  live: 'Connected',
  polling: 'Connected (slow mode: WebSockets are blocked on this network)',
  reconnecting: 'Connection lost. Reconnecting…',
  offline: 'You are offline. Messages will catch up when you are back.',
  closed: 'Disconnected',
};

/**
 * A room: history (older pages on request), live messages, who is online, who is typing, and
 * the composer. After a reconnect, a "New messages" line marks where the missed ones begin.
 */
export function chatView(app: App, roomId: string): View {
  const me = app.me!;
  const client = app.client;
  const timeline = new Timeline();
  const members = new Map<string, ProfileChange>();
  const items = new Map<number, HTMLLIElement>();
  const pendingItems = new Map<string, HTMLLIElement>();
  const typers = new Map<string, number>();
  let online: string[] = [];
  let conn: RoomConnection | null = null;
  let disposed = false;
  let divider: HTMLLIElement | null = null;
  let dividerThisGap = false;

  rememberRoom(roomId);
  const title = h('h1', { tabindex: -1, class: 'room-title' }, roomId);
  const status = h('p', { class: 'conn-status', role: 'status', 'data-state': 'connecting' }, STATE_TEXT.connecting);
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

  // ---- rendering --------------------------------------------------------------------------

  const nameOf = (userId: string) => members.get(userId)?.username ?? userId;

  function messageItem(m: MessageView): HTMLLIElement {
    const time = h('time', { datetime: m.timestamp, title: fullFormat.format(new Date(m.timestamp)) }, timeFormat.format(new Date(m.timestamp)));
    if (m.type === 'system') {
      return h('li', { class: 'msg system', 'data-seq': m.seq, 'data-user': m.user_id }, h('p', null, m.content, ' ', time));
    }
    const mine = m.user_id === me.id;
    return h(
      'li',
      { class: mine ? 'msg mine' : 'msg', 'data-seq': m.seq, 'data-user': m.user_id, 'data-client-msg-id': m.client_msg_id ?? undefined },
      avatarImg(m.avatar, m.user_id, 40),
      h(
        'div',
        { class: 'bubble' },
        h(
          'p',
          { class: 'meta' },
          h('span', { class: 'name' }, m.username),
          mine && h('span', { class: 'visually-hidden' }, ' (you)'),
          ' ',
          time,
          m.edited_at && h('span', { class: 'edited' }, ' (edited)'),
        ),
        m.deleted ? h('p', { class: 'text deleted' }, 'This message was deleted.') : h('p', { class: 'text' }, m.content),
      ),
    );
  }

  function render(m: MessageView): { added: boolean; li: HTMLLIElement } {
    const { change, index } = timeline.upsert(m);
    const li = messageItem(timeline.messages[index]!);
    const old = items.get(m.seq);
    items.set(m.seq, li);
    if (old) {
      old.replaceWith(li);
    } else {
      const next = timeline.messages[index + 1];
      const before = next ? items.get(next.seq) : undefined;
      // A message older than the divider's goes above the divider, not between it and its message.
      const anchor = before && before.previousElementSibling === divider && divider ? divider : (before ?? null);
      list.insertBefore(li, anchor);
    }
    if (m.client_msg_id && pendingItems.has(m.client_msg_id)) {
      pendingItems.get(m.client_msg_id)!.remove();
      pendingItems.delete(m.client_msg_id);
    }
    return { added: change === 'added', li };
  }

  function placeDivider(before: HTMLLIElement): void {
    divider?.remove();
    divider = h('li', { class: 'divider', role: 'separator', 'aria-label': 'New messages' }, h('span', null, 'New messages'));
    list.insertBefore(divider, before);
  }

  const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120;
  const toBottom = () => {
    scroller.scrollTop = scroller.scrollHeight;
  };

  function renderPresence(): void {
    const people = [...online].sort((a, b) => (a === me.id ? -1 : b === me.id ? 1 : nameOf(a).localeCompare(nameOf(b))));
    mount(
      presenceList,
      people.map((id) =>
        h('li', { 'data-user': id }, avatarImg(members.get(id)?.avatar, id, 24), h('span', null, id === me.id ? `${nameOf(id)} (you)` : nameOf(id))),
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
    const note = h('span', { class: 'pending-note' }, 'Sending…');
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
    toBottom();
    // The same client_msg_id on every try: a retry after a lost answer is never a second message.
    conn!
      .send(content, { clientMsgId })
      .then((result) => {
        if (disposed) return;
        if (!isAccepted(result)) render(result);
        else note.textContent = 'Sent';
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
      onsubmit: (ev: SubmitEvent) => {
        ev.preventDefault();
        const content = input.value.trim();
        if (!content || !conn) return;
        input.value = '';
        send(content);
      },
    },
    h('label', { for: 'composer-input', class: 'visually-hidden' }, `Message ${roomId}`),
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
  input.addEventListener('input', () => conn?.typing());

  // ---- loading and live -------------------------------------------------------------------

  async function loadOlder(): Promise<void> {
    const oldest = timeline.oldestSeq;
    if (oldest === undefined) return;
    olderButton.disabled = true;
    try {
      const page = await client.history(roomId, { before: oldest, limit: PAGE });
      const height = scroller.scrollHeight;
      for (const m of page) render(m);
      // Keep what the reader was looking at in place.
      scroller.scrollTop += scroller.scrollHeight - height;
      olderButton.hidden = page.length < PAGE;
    } catch (err) {
      status.textContent = `Could not load older messages: ${describe(err)}`;
    } finally {
      olderButton.disabled = false;
    }
  }
  olderButton.addEventListener('click', () => void loadOlder());

  async function start(): Promise<void> {
    try {
      await client.join(roomId);
      const [room, history, roomMembers] = await Promise.all([client.getRoom(roomId), client.history(roomId, { limit: PAGE }), client.members(roomId)]);
      if (disposed) return;
      title.textContent = room.name;
      document.title = `${room.name} · Chat`;
      for (const m of roomMembers) members.set(m.user_id, { id: m.user_id, username: m.username, avatar: m.avatar });
      for (const m of history) render(m);
      olderButton.hidden = history.length < PAGE;
      toBottom();
    } catch (err) {
      if (handleAuthError(app, err)) return;
      status.dataset.state = 'closed';
      status.textContent = `Could not open the room: ${describe(err)}`;
      return;
    }
    conn = client.connect(roomId, { since: timeline.newestSeq });
    conn.on('state', ({ state }) => {
      status.dataset.state = state;
      status.dataset.transport = conn?.transport ?? '';
      status.textContent = STATE_TEXT[state];
    });
    conn.on('message', ({ message, replayed }) => {
      const stick = nearBottom() || message.user_id === me.id;
      const { added, li } = render(message);
      if (added && replayed && !dividerThisGap && message.user_id !== me.id) {
        placeDivider(li);
        dividerThisGap = true;
      }
      if (message.user_id !== me.id && message.type === 'text') {
        typers.delete(message.user_id);
        renderTyping();
        if (!replayed) announcer.textContent = `${message.username}: ${message.content}`;
      }
      if (stick) toBottom();
    });
    conn.on('resumed', ({ missed }) => {
      dividerThisGap = false;
      if (missed > 0) announcer.textContent = `Back online. ${missed} new ${missed === 1 ? 'message' : 'messages'}.`;
    });
    conn.on('message_updated', (m) => void render(m));
    conn.on('member_joined', (m: MemberView) => {
      members.set(m.user_id, { id: m.user_id, username: m.username, avatar: m.avatar });
      renderPresence();
    });
    conn.on('profile_updated', applyProfile);
    conn.on('presence', (p) => {
      online = p.online;
      renderPresence();
    });
    conn.on('typing', ({ user_id }) => {
      if (user_id === me.id) return;
      typers.set(user_id, Date.now() + TYPING_SHOWN_MS);
      renderTyping();
    });
    conn.on('error', (err) => {
      if (err.code === 'not_member') status.textContent = 'You are no longer a member of this room.';
    });
  }
  void start();

  return {
    title: roomId,
    header: header(app, 'room'),
    el: h(
      'div',
      { class: 'chat' },
      h('div', { class: 'chat-head' }, title, status, h('h2', { id: 'online-h', class: 'visually-hidden' }, 'Online now'), presenceList),
      scroller,
      announcer,
      typing,
      form,
    ),
    focus: input,
    dispose() {
      disposed = true;
      clearInterval(typingTimer);
      conn?.close();
    },
  };
}
