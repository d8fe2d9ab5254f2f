import { Backoff, RECONNECT_BACKOFF } from './backoff.ts';
import type { ChatClient } from './client.ts';
import { ApiError, sleep } from './http.ts';
import { REFUSED, type Transport, type TransportEvents } from './transport.ts';

export interface PollTransportOptions {
  /** How long one long-poll waits for the next message, in seconds (the gateway allows 30). */
  waitSeconds: number;
  /** Refresh presence this often. */
  presenceMs: number;
}

const PAGE = 100;

/**
 * The same frames as the WebSocket, by plain HTTP, for networks that block WebSockets: each room
 * long-polls `GET /rooms/{id}/changes?since=<cursor>&wait=` (new messages, edits and deletions of
 * older ones, members' profile changes: what a socket's resume replays), and presence is
 * refreshed by REST. No typing. A request that gets no answer at all means the gateway or network
 * is down: the whole transport closes, and the connection reconnects (WebSocket first).
 */
export class PollTransport implements Transport {
  readonly kind = 'poll';
  private readonly rooms = new Map<string, AbortController>();
  private readonly everything = new AbortController();
  private done = false;
  private opened = false;

  constructor(
    private readonly client: ChatClient,
    private readonly opts: PollTransportOptions,
    private readonly events: TransportEvents,
  ) {
    void this.open();
  }

  private async open(): Promise<void> {
    try {
      // Any authenticated answer says the gateway is there and takes this session.
      await this.client.http.request({ method: 'GET', path: `/users/${encodeURIComponent(this.client.userId)}`, attempts: 1, signal: this.everything.signal });
    } catch (err) {
      return this.fail(err);
    }
    if (this.done) return;
    this.opened = true;
    this.events.opened();
  }

  subscribe(roomId: string, since: number | undefined): void {
    if (this.done) return;
    this.rooms.get(roomId)?.abort();
    const ac = new AbortController();
    this.rooms.set(roomId, ac);
    const signal = AbortSignal.any([ac.signal, this.everything.signal]);
    void this.follow(roomId, since, signal);
    void this.refresh(roomId, signal);
  }

  unsubscribe(roomId: string): void {
    this.rooms.get(roomId)?.abort();
    this.rooms.delete(roomId);
    if (!this.done) this.events.frame({ type: 'unsubscribed', room_id: roomId });
  }

  typing(): void {
    // Not by long-poll: typing is ephemeral, and worth no request.
  }

  close(): void {
    this.done = true;
    this.everything.abort();
  }

  private async follow(roomId: string, since: number | undefined, signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(RECONNECT_BACKOFF);
    let cursor = since;
    let caughtUp = false;
    while (!signal.aborted) {
      try {
        // Start where the room is now; a long-poll from there is gap-free.
        if (cursor === undefined) cursor = (await this.client.getRoom(roomId, signal)).last_seq;
        // Catching up answers at once; only a poller that is up to date waits for the next message.
        const wait = caughtUp ? this.opts.waitSeconds : undefined;
        const page = await this.client.changes(roomId, { since: cursor, limit: PAGE, wait }, { signal });
        if (signal.aborted) return;
        for (const frame of page) {
          this.events.frame(frame);
          cursor = Math.max(cursor, frame.seq);
        }
        backoff.reset();
        // A full page means more are waiting: caught up only once a page comes back short.
        if (!caughtUp && page.length < PAGE) {
          caughtUp = true;
          this.events.frame({ type: 'subscribed', room_id: roomId, cursor });
        }
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiError && err.status === 0) return this.fail(err);
        if (err instanceof ApiError && !err.retryable) {
          // Refused: nothing more about this room (its presence refresh stops too).
          this.rooms.get(roomId)?.abort();
          this.rooms.delete(roomId);
          this.events.frame({ type: 'error', room_id: roomId, code: err.code, message: err.message });
          return;
        }
        await sleep(backoff.next(), signal).catch(() => undefined);
      }
    }
  }

  /** Presence by REST, as snapshots: what the socket would push. */
  private async refresh(roomId: string, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const presence = await this.client.presence(roomId, signal);
        if (signal.aborted) return;
        this.events.frame({ type: 'presence', room_id: roomId, online: presence.online, seq: 0 });
      } catch {
        // the follow loop notices a gateway that is gone; the next refresh will do
      }
      await sleep(this.opts.presenceMs, signal).catch(() => undefined);
    }
  }

  private fail(err: unknown): void {
    if (this.done) return;
    this.done = true;
    this.everything.abort();
    const status = err instanceof ApiError ? err.status : 0;
    this.events.closed({ code: status === 401 ? REFUSED : 1006, reason: err instanceof Error ? err.message : String(err), opened: this.opened });
  }
}
