import { DROPPED, type Transport, type TransportEvents } from './transport.ts';
import type { MuxClientFrame, ServerFrame } from './wire.ts';

/** What the SDK needs of a WebSocket: the browser's, or the `ws` package's in Node 20. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: string }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type WebSocketCtor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface WebSocketTransportOptions {
  WebSocket: WebSocketCtor;
  /** `ws(s)://host/ws`, with `?user_id=` in open mode. */
  url: string;
  /** Browsers cannot set headers on a WebSocket: the token travels as a subprotocol beside `chat.v1`. */
  token: string | undefined;
  /** Ping this often; no frame for twice as long means a dead connection. */
  heartbeatMs: number;
  /** A socket that has not said `welcome` after this long is given up. */
  openTimeoutMs: number;
}

const OPEN = 1;

/** The multiplexed WebSocket (`/ws`): one per client, every room a subscription on it. */
export class WebSocketTransport implements Transport {
  readonly kind = 'websocket';
  private readonly ws: WebSocketLike | null = null;
  private opened = false;
  private done = false;
  private lastFrameAt = Date.now();
  private openTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly opts: WebSocketTransportOptions,
    private readonly events: TransportEvents,
  ) {
    try {
      this.ws = new opts.WebSocket(opts.url, opts.token ? ['chat.v1', `token.${opts.token}`] : ['chat.v1']);
    } catch (err) {
      queueMicrotask(() => this.gone(DROPPED, err instanceof Error ? err.message : 'cannot open a WebSocket'));
      return;
    }
    this.openTimer = setTimeout(() => this.drop('no welcome in time'), opts.openTimeoutMs);
    this.ws.onmessage = (ev: { data: unknown }) => this.onMessage(ev.data);
    this.ws.onclose = (ev: { code?: number; reason?: string }) => this.gone(ev.code ?? 1006, ev.reason ?? '');
    this.ws.onerror = () => undefined; // a close event follows
  }

  subscribe(roomId: string, since: number | undefined): void {
    this.send(since === undefined ? { type: 'subscribe', room_id: roomId } : { type: 'subscribe', room_id: roomId, since });
  }

  unsubscribe(roomId: string): void {
    this.send({ type: 'unsubscribe', room_id: roomId });
  }

  typing(roomId: string): void {
    this.send({ type: 'typing', room_id: roomId });
  }

  close(code = 1000, reason = ''): void {
    this.done = true;
    this.stop();
    try {
      this.ws?.close(code, reason);
    } catch {
      // already closed
    }
  }

  private send(frame: MuxClientFrame): void {
    if (!this.ws || this.ws.readyState !== OPEN) return;
    try {
      this.ws.send(JSON.stringify(frame));
    } catch {
      this.drop('cannot send');
    }
  }

  private onMessage(data: unknown): void {
    if (this.done) return;
    this.lastFrameAt = Date.now();
    let frame: ServerFrame;
    try {
      frame = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer)) as ServerFrame;
    } catch {
      return;
    }
    if (frame.type === 'welcome') {
      if (this.opened) return;
      this.opened = true;
      clearTimeout(this.openTimer);
      this.heartbeat = setInterval(() => this.beat(), this.opts.heartbeatMs);
      this.events.opened();
      return;
    }
    if (frame.type === 'pong') return;
    this.events.frame(frame);
  }

  private beat(): void {
    if (Date.now() - this.lastFrameAt > 2 * this.opts.heartbeatMs) {
      this.drop('no answer to ping');
      return;
    }
    this.send({ type: 'ping' });
  }

  /** Gives up on the socket now (no close handshake to wait for on a dead link), as if it closed. */
  private drop(reason: string): void {
    if (this.done) return;
    try {
      this.ws?.close(DROPPED, reason.slice(0, 100));
    } catch {
      // already closing
    }
    this.gone(DROPPED, reason);
  }

  private gone(code: number, reason: string): void {
    if (this.done) return;
    this.done = true;
    this.stop();
    this.events.closed({ code, reason, opened: this.opened });
  }

  private stop(): void {
    clearTimeout(this.openTimer);
    clearInterval(this.heartbeat);
    if (!this.ws) return;
    this.ws.onmessage = this.ws.onclose = null;
    // Not null: the `ws` package throws an 'error' event nobody listens to (closing a socket that is
    // still connecting emits one), which would bring down a Node process.
    this.ws.onerror = () => undefined;
  }
}
