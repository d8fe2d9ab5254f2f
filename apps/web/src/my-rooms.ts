import type { ChatClient, Connection, MessageView, MyRoomView } from '@chat/client';
import { applyActivity, applyMarker, byActivity } from './inbox.ts';
import { allPages, ListLoads, reloadWhenUnseen } from './server-list.ts';

const MARK_READ_DELAY_MS = 600;

/**
 * My rooms, kept current: loaded from `GET /me/rooms` (again after every reconnect, since the
 * inbox is not replayed), then moved by the connection's `roomActivity` and `readMarker`, and by
 * the room being read (`noteShown`, which also tells the server, debounced).
 */
export class MyRooms {
  private rooms: MyRoomView[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly offs: (() => void)[] = [];
  private readonly marks = new Map<string, { seq: number; timer: ReturnType<typeof setTimeout> }>();
  /** How far the server knows I have read each room. */
  private readonly serverRead = new Map<string, number>();
  private readonly loads = new ListLoads(
    () => allPages((before) => this.client.myRooms({ before })),
    (all) => {
      this.failed = false;
      this.loaded = true;
      for (const r of all) this.serverRead.set(r.id, Math.max(r.read_seq, this.serverRead.get(r.id) ?? -1));
      // A room being read stays read, whatever the server had counted before the marker arrived.
      this.set(all.map((r) => (r.id === this.reading || this.marks.has(r.id) ? { ...r, unread: 0 } : r)).sort(byActivity));
    },
  );
  loaded = false;
  failed = false;
  /** The room on screen, while the page is visible: its new messages are read, not unread. */
  reading: string | null = null;

  constructor(
    private readonly client: ChatClient,
    private readonly me: string,
  ) {}

  get list(): readonly MyRoomView[] {
    return this.rooms;
  }

  get unreadTotal(): number {
    return this.rooms.reduce((n, r) => n + r.unread, 0);
  }

  has(roomId: string): boolean {
    return this.rooms.some((r) => r.id === roomId);
  }

  get(roomId: string): MyRoomView | undefined {
    return this.rooms.find((r) => r.id === roomId);
  }

  onChange(f: () => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  /** Follows a connection's inbox (and loads again each time it is back). */
  bind(connection: Connection): void {
    this.offs.push(
      connection.on('roomActivity', (a) => this.activity(a)),
      connection.on('readMarker', (m) => {
        this.serverRead.set(m.room_id, Math.max(m.seq, this.serverRead.get(m.room_id) ?? -1));
        const { stale } = applyMarker(this.rooms, m);
        this.change((rooms) => applyMarker(rooms, m).rooms);
        if (stale) void this.load().catch(() => undefined);
      }),
      reloadWhenUnseen(
        connection,
        () => this.loaded,
        () => this.load(),
      ),
    );
  }

  /** Loads every page of my rooms (see `allPages` and `ListLoads`). */
  async load(): Promise<void> {
    try {
      await this.loads.load();
    } catch (err) {
      this.failed = true;
      this.notify();
      throw err;
    }
  }

  /** A new line in a room this connection follows (the open room): as `roomActivity` would say it. */
  noteMessage(roomId: string, message: MessageView): void {
    this.activity({ room_id: roomId, message, seq: message.seq });
  }

  /**
   * An edit or deletion seen in the open room: the preview follows when it is the room's last
   * message, unless the preview is a newer copy of it (an action's answer after a live change).
   */
  noteUpdated(roomId: string, message: MessageView): void {
    const shown = this.get(roomId)?.last_message;
    if (shown?.id !== message.id || shown.changed_seq > message.changed_seq) return;
    this.change((rooms) => rooms.map((r) => (r.id === roomId && r.last_message?.id === message.id ? { ...r, last_message: message } : r)));
  }

  /** The room is on screen up to `seq`: nothing in it is unread; the server hears of it shortly. */
  noteShown(roomId: string, seq: number | undefined): void {
    const room = this.get(roomId);
    // Not one of my rooms (a preview): there is no marker to move.
    if (seq === undefined || !room) return;
    if (room.unread > 0 || room.read_seq < seq)
      this.set(this.rooms.map((r) => (r.id === roomId ? { ...r, unread: 0, read_seq: Math.max(r.read_seq, seq) } : r)));
    const pending = this.marks.get(roomId);
    if (seq <= (this.serverRead.get(roomId) ?? -1) || (pending && pending.seq >= seq)) return;
    if (pending) clearTimeout(pending.timer);
    // Debounced: reading a busy room sends one marker now and then, not one per message.
    const timer = setTimeout(() => {
      this.marks.delete(roomId);
      this.serverRead.set(roomId, Math.max(seq, this.serverRead.get(roomId) ?? -1));
      this.client.markRead(roomId, seq).catch(() => this.serverRead.delete(roomId));
    }, MARK_READ_DELAY_MS);
    this.marks.set(roomId, { seq, timer });
  }

  /** After I joined or left a room. */
  async refresh(): Promise<void> {
    await this.load().catch(() => undefined);
  }

  remove(roomId: string): void {
    this.set(this.rooms.filter((r) => r.id !== roomId));
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
    for (const { timer } of this.marks.values()) clearTimeout(timer);
    this.marks.clear();
    this.listeners.clear();
  }

  private activity(a: { room_id: string; message: MessageView; seq: number }): void {
    const reading = a.room_id === this.reading;
    if (applyActivity(this.rooms, a, this.me, reading).kind === 'reload') void this.load().catch(() => undefined);
    this.change((rooms) => {
      const out = applyActivity(rooms, a, this.me, reading);
      return out.kind === 'reload' ? [...rooms] : out.rooms;
    });
  }

  /** A change known here now: applied, and again over a load that may have been answered before it. */
  private change(f: (rooms: MyRoomView[]) => MyRoomView[]): void {
    this.loads.live(f);
    this.set(f(this.rooms));
  }

  private set(rooms: MyRoomView[]): void {
    this.rooms = rooms;
    this.notify();
  }

  private notify(): void {
    for (const f of [...this.listeners]) f();
  }
}
