import { CloseCode, LiveFrame, TypingSignal, type ServerFrame, type Subjects } from '@chat/contracts';
import type { Logger } from '@chat/runtime';
import type { NatsConnection, Subscription } from '@chat/bus';
import type { SocketData } from './sockets.ts';
import type { TemplatedApp, WebSocket } from './uws.ts';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export const roomTopic = (roomId: string): string => `room/${roomId}`;

/** Backpressure bounds per socket (bytes waiting to be written to it). */
export const BUFFER_LIMITS = {
  /** Past this, ephemeral frames (typing, presence) are dropped or merged. */
  ephemeral: 64 * 1024,
  /** Past this, the socket is closed with 1013 and resumes from its cursor. */
  resumable: 512 * 1024,
  /** uWS's own hard stop, should a flood outrun the check. */
  hard: 2 * 1024 * 1024,
};

/** How long a socket closed for falling behind may take to read its close frame. */
const CLOSE_GRACE_MS = 30_000;

/** Live frames held for a socket while it replays history, bounded; past the bound, replay again. */
const PENDING_MAX = 5000;

type Socket = WebSocket<SocketData>;

interface Room {
  sockets: Set<Socket>;
  /** Sockets replaying history: they get live frames through their pending list, not the topic. */
  replaying: Set<Socket>;
  subs: Subscription[];
  /** Long-poll requests waiting for a message after a seq. */
  waiters: Set<(seq: number) => void>;
  holds: number;
}

export const frameSeq = (frame: LiveFrame): number => (frame.type === 'message' || frame.type === 'message_updated' ? frame.message.seq : frame.seq);

/**
 * One gateway's view of its rooms: the NATS subscriptions of rooms that have a socket or a
 * long-poll here, and delivery to sockets. Chat frames go through one uWS topic per room (written
 * once, sent natively to every socket); ephemeral frames go socket by socket so that a socket
 * that is behind can be skipped; and a socket too far behind is closed to resume, never silently
 * left with a hole.
 */
export class RoomHub {
  private readonly rooms = new Map<string, Room>();
  private readonly scan: NodeJS.Timeout;

  constructor(
    private readonly app: TemplatedApp,
    private readonly nc: NatsConnection,
    private readonly s: Subjects,
    private readonly log: Logger,
    readonly gatewayId: string,
    private readonly onSlowSocket: () => void = () => undefined,
  ) {
    this.scan = setInterval(() => this.closeSlowSockets(), 100).unref();
  }

  /** Keeps a room's subscriptions while held; call `release` once for every `hold`. */
  async hold(roomId: string): Promise<void> {
    const room = this.rooms.get(roomId) ?? this.open(roomId);
    room.holds++;
    // The subscription is live on the server before the caller reads history or opens a socket.
    await this.nc.flush();
  }

  release(roomId: string): void {
    const room = this.rooms.get(roomId);
    if (!room || --room.holds > 0) return;
    for (const sub of room.subs) sub.unsubscribe();
    this.rooms.delete(roomId);
  }

  add(ws: Socket): void {
    this.rooms.get(ws.getUserData().roomId)?.sockets.add(ws);
  }

  remove(ws: Socket): void {
    const room = this.rooms.get(ws.getUserData().roomId);
    room?.sockets.delete(ws);
    room?.replaying.delete(ws);
  }

  sockets(roomId: string): ReadonlySet<Socket> {
    return this.rooms.get(roomId)?.sockets ?? new Set();
  }

  /** From now on the socket's live frames collect in its pending list instead of arriving. */
  startReplay(ws: Socket): void {
    const data = ws.getUserData();
    data.pending = [];
    data.pendingOverflow = false;
    this.rooms.get(data.roomId)?.replaying.add(ws);
    ws.unsubscribe(roomTopic(data.roomId));
  }

  /**
   * Ends a replay that reached `cursor`: sends the pending frames past it, then subscribes the
   * socket to the topic, all in one go, so no frame falls between the replay and live delivery.
   * Returns false when the pending list overflowed: replay again from the returned cursor.
   */
  finishReplay(ws: Socket, cursor: number): { done: boolean; cursor: number } {
    const data = ws.getUserData();
    if (data.pendingOverflow) {
      data.pending = [];
      data.pendingOverflow = false;
      return { done: false, cursor };
    }
    for (const { seq, raw } of data.pending) {
      if (seq <= cursor) continue;
      ws.send(raw);
      cursor = seq;
    }
    data.pending = [];
    this.rooms.get(data.roomId)?.replaying.delete(ws);
    ws.subscribe(roomTopic(data.roomId));
    return { done: true, cursor };
  }

  /** Waits for a message newer than `after` in a held room, up to `timeoutMs`. */
  waitForMessage(roomId: string, after: number, timeoutMs: number, abort: AbortSignal): Promise<boolean> {
    const room = this.rooms.get(roomId);
    if (!room) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (arrived: boolean) => {
        room.waiters.delete(waiter);
        clearTimeout(timer);
        abort.removeEventListener('abort', onAbort);
        resolve(arrived);
      };
      const waiter = (seq: number) => seq > after && done(true);
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      room.waiters.add(waiter);
      abort.addEventListener('abort', onAbort);
    });
  }

  /** Sends an ephemeral frame to a room's sockets that can take it; returns the ones skipped. */
  sendEphemeral(roomId: string, frame: ServerFrame, skip?: (ws: Socket) => boolean): Socket[] {
    const raw = JSON.stringify(frame);
    const skipped: Socket[] = [];
    for (const ws of this.sockets(roomId)) {
      if (skip?.(ws) || ws.getUserData().closing) continue;
      if (ws.getBufferedAmount() > BUFFER_LIMITS.ephemeral) skipped.push(ws);
      else ws.send(raw);
    }
    return skipped;
  }

  publishTyping(roomId: string, userId: string): void {
    this.nc.publish(this.s.live.typing(roomId), encoder.encode(JSON.stringify({ user_id: userId, gateway: this.gatewayId })));
  }

  close(): void {
    clearInterval(this.scan);
    for (const room of this.rooms.values()) for (const sub of room.subs) sub.unsubscribe();
    this.rooms.clear();
  }

  private open(roomId: string): Room {
    const room: Room = { sockets: new Set(), replaying: new Set(), subs: [], waiters: new Set(), holds: 0 };
    room.subs.push(
      this.nc.subscribe(this.s.live.room(roomId), {
        callback: (err, msg) => (err ? this.log.warn({ err }, 'live subscription') : this.onLive(roomId, room, msg.data)),
      }),
      this.nc.subscribe(this.s.live.typing(roomId), { callback: (err, msg) => (err ? undefined : this.onTyping(roomId, msg.data)) }),
    );
    this.rooms.set(roomId, room);
    return room;
  }

  private onLive(roomId: string, room: Room, data: Uint8Array): void {
    const raw = decoder.decode(data);
    const frame = parseFrame(raw);
    if (!frame) {
      this.log.warn({ roomId }, 'dropping a live update that does not match its schema');
      return;
    }
    const seq = frameSeq(frame);
    this.app.publish(roomTopic(roomId), raw, false, false);
    for (const ws of room.replaying) {
      const d = ws.getUserData();
      if (d.pending.length >= PENDING_MAX) d.pendingOverflow = true;
      else d.pending.push({ seq, raw });
    }
    if (frame.type === 'message') for (const waiter of room.waiters) waiter(seq);
    if (frame.type === 'member_left') {
      // Leaving ends the user's live view of the room at once, on every gateway.
      for (const ws of room.sockets) {
        if (ws.getUserData().userId === frame.user_id) ws.end(CloseCode.notMember, 'no longer a member of this room');
      }
    }
  }

  private onTyping(roomId: string, data: Uint8Array): void {
    let signal: ReturnType<typeof TypingSignal.safeParse>;
    try {
      signal = TypingSignal.safeParse(JSON.parse(decoder.decode(data)));
    } catch {
      return;
    }
    if (!signal.success) return;
    const sender = signal.data.user_id;
    // Typing is worth nothing late: a socket that is behind simply misses it.
    this.sendEphemeral(roomId, { type: 'typing', user_id: sender }, (ws) => ws.getUserData().userId === sender);
  }

  private closeSlowSockets(): void {
    for (const room of this.rooms.values()) {
      for (const ws of room.sockets) {
        const data = ws.getUserData();
        if (data.closing || ws.getBufferedAmount() <= BUFFER_LIMITS.resumable) continue;
        data.closing = true;
        this.onSlowSocket();
        ws.unsubscribe(roomTopic(data.roomId));
        ws.end(CloseCode.tryAgainLater, 'too far behind: reconnect with since=<cursor>');
        // A reader that never reads never takes the close frame either: cut it after a grace period.
        // Nothing more is written to it meanwhile, so its buffer stays where it is.
        setTimeout(() => {
          if (!data.closed) ws.close();
        }, CLOSE_GRACE_MS).unref();
      }
    }
  }
}

function parseFrame(raw: string): LiveFrame | null {
  try {
    const parsed = LiveFrame.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
