import {
  Timeline,
  isAccepted,
  newClientMsgId,
  type MemberView,
  type MessageView,
  type Person,
  type ProfileChange,
  type Room,
  type RoomState,
} from '@chat/client';
import { describe, handleAuthError, header, type App, type View } from '../app.ts';
import { avatarImg, setAvatar } from '../avatar.ts';
import { h, mount } from '../dom.ts';
import { rememberRoom } from '../session.ts';

const PAGE = 50;
const TYPING_SHOWN_MS = 4000;

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

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
  let online: Person[] = [];
  let room: Room | null = null;
  const connection = client.connect();
  const pager = client.historyPager(roomId, PAGE);
  let disposed = false;
  let divider: HTMLLIElement | null = null;
  let dividerThisGap = false;

  rememberRoom(roomId);
  const title = h('h1', { tabindex: -1, class: 'room-title' }, roomId);
  const status = h('p', { class: 'conn-status', role: 'status', 'data-state': 'pending' }, STATE_TEXT.pending);
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
    toBottom();
    // The same client_msg_id on every try: a retry after a lost answer, or one made once the
    // connection is back, is never a second message.
    room!
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
        if (!content || !room) return;
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
    const state = connection.state === 'connected' || connection.state === 'closed' ? (room?.state ?? 'pending') : connection.state;
    status.dataset.state = state;
    status.dataset.transport = connection.transportKind ?? '';
    status.textContent = STATE_TEXT[state];
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

  async function start(): Promise<void> {
    try {
      await client.join(roomId);
      const [info, history, roomMembers] = await Promise.all([client.getRoom(roomId), pager.older(), client.members(roomId)]);
      if (disposed) return;
      title.textContent = info.name;
      document.title = `${info.name} · Chat`;
      for (const m of roomMembers) members.set(m.user_id, { id: m.user_id, username: m.username, avatar: m.avatar });
      for (const m of history) render(m);
      olderButton.hidden = pager.done;
      toBottom();
    } catch (err) {
      if (handleAuthError(app, err)) return;
      status.dataset.state = 'closed';
      status.textContent = `Could not open the room: ${describe(err)}`;
      return;
    }
    room = client.subscribe(roomId, { since: timeline.newestSeq });
    room.on('state', showState);
    showState();
    room.on('message', ({ message, replayed }) => {
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
    room.on('resumed', ({ missed }) => {
      dividerThisGap = false;
      if (missed > 0) announcer.textContent = `Back online. ${missed} new ${missed === 1 ? 'message' : 'messages'}.`;
    });
    room.on('message_updated', (m) => void render(m));
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
      offConnection();
      // The room only: the connection stays open for the other pages (and presence).
      room?.close();
    },
  };
}
