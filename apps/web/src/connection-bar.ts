import type { Connection, ConnectionEvents } from '@chat/client';
import { h } from './dom.ts';

const TEXT: Record<ConnectionEvents['state']['state'], string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Connection lost. Reconnecting…',
  offline: 'You are offline. Messages will catch up when you are back.',
  closed: 'Disconnected',
};

/**
 * The connection's state on every page (one connection for the whole app), read out politely by
 * screen readers when it changes, with "Reconnect now" while it is down: a person who knows the
 * network is back need not wait out the backoff.
 */
export function connectionBar(): { el: HTMLElement; bind(connection: Connection | null): void } {
  const text = h('p', { class: 'conn-bar-text', role: 'status' }, '');
  const button = h('button', { type: 'button', class: 'link reconnect', hidden: true }, 'Reconnect now');
  const el = h('div', { class: 'conn-bar', 'data-state': 'closed', hidden: true }, text, button);
  let current: Connection | null = null;
  let off: (() => void) | null = null;

  button.addEventListener('click', () => current?.reconnectNow());

  function show({ state, transport, retryInMs }: ConnectionEvents['state']): void {
    el.dataset.state = state;
    el.dataset.transport = transport ?? '';
    const wait = state === 'reconnecting' && retryInMs !== undefined && retryInMs >= 1000 ? ` Trying again in ${Math.round(retryInMs / 1000)} s.` : '';
    const slow = state === 'connected' && transport === 'poll' ? ' (slow mode: WebSockets are blocked on this network)' : '';
    text.textContent = `${TEXT[state]}${slow}${wait}`;
    button.hidden = state !== 'reconnecting' && state !== 'offline';
  }

  return {
    el,
    bind(connection) {
      if (connection === current) return;
      off?.();
      current = connection;
      el.hidden = connection === null;
      if (!connection) return;
      show({ state: connection.state, transport: connection.transportKind });
      off = connection.on('state', show);
    },
  };
}
