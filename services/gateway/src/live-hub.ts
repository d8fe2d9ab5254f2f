import { LiveFrame, type Subjects } from '@chat/contracts';
import type { Logger } from '@chat/runtime';
import type { NatsConnection, Subscription } from 'nats';

const decoder = new TextDecoder();

export const roomTopic = (roomId: string): string => `room/${roomId}`;

/**
 * Subscribes this gateway to a room's live subject while at least one of its sockets is in the
 * room, and hands each valid frame to `deliver` once (uWS then fans it out to the room's topic).
 */
export class LiveHub {
  private readonly rooms = new Map<string, { sockets: number; sub: Subscription }>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly s: Subjects,
    private readonly log: Logger,
    private readonly deliver: (roomId: string, frame: LiveFrame, raw: string) => void,
  ) {}

  retain(roomId: string): void {
    const room = this.rooms.get(roomId);
    if (room) {
      room.sockets++;
      return;
    }
    const sub = this.nc.subscribe(this.s.live.room(roomId), {
      callback: (err, msg) => {
        if (err) {
          this.log.warn({ err, roomId }, 'live subscription error');
          return;
        }
        const raw = decoder.decode(msg.data);
        let parsed: ReturnType<typeof LiveFrame.safeParse>;
        try {
          parsed = LiveFrame.safeParse(JSON.parse(raw));
        } catch {
          this.log.warn({ roomId }, 'dropping a live update that is not JSON');
          return;
        }
        if (!parsed.success) {
          this.log.warn({ roomId, issue: parsed.error.issues[0] }, 'dropping an invalid live update');
          return;
        }
        this.deliver(roomId, parsed.data, raw);
      },
    });
    this.rooms.set(roomId, { sockets: 1, sub });
  }

  release(roomId: string): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    if (--room.sockets > 0) return;
    room.sub.unsubscribe();
    this.rooms.delete(roomId);
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  close(): void {
    for (const room of this.rooms.values()) room.sub.unsubscribe();
    this.rooms.clear();
  }
}
