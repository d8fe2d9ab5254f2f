import type { ServerFrame } from './wire.ts';

export type TransportKind = 'websocket' | 'poll';

/** How a transport reports to the connection above it. */
export interface TransportEvents {
  /** The gateway has accepted the connection (`welcome`); rooms may be subscribed. */
  opened(): void;
  /** A frame about a room (or the connection), as the multiplexed socket would send it. */
  frame(frame: ServerFrame): void;
  /** Gone, for whatever reason; `opened` says whether it had got as far as `opened()`. Called once. */
  closed(info: { code: number; reason: string; opened: boolean }): void;
}

/**
 * One way of being connected to the gateway. Interchangeable: a WebSocket on `/ws`, or long-polls
 * that produce the same frames. A transport is used once: after `closed`, the connection makes a
 * new one.
 */
export interface Transport {
  readonly kind: TransportKind;
  /** Follow a room; frames for it follow, then `subscribed { cursor }` once caught up. */
  subscribe(roomId: string, since: number | undefined): void;
  unsubscribe(roomId: string): void;
  /** Tell the room this user is typing (a no-op where the transport cannot). */
  typing(roomId: string): void;
  /** Close without a `closed` callback: the connection already knows. */
  close(code?: number, reason?: string): void;
}

/** A close code of our own for a connection the client gave up on (dead, replaced, offline). */
export const DROPPED = 4000;

/** A close code of our own for a session the gateway refuses (401): the connection stops for good. */
export const REFUSED = 4401;
