/**
 * The one cursor of the API: the `seq` of the last frame about a room's log this client has seen
 * (a message, an edit, a profile change, a join or leave). Frames reach
 * a client in seq order from each source (a socket's replay then live frames, a long-poll page),
 * and every source starts at or before the cursor, so a frame at or below it has already been
 * delivered: dropping it is what makes a resume, a retry or two sources at once show each
 * change once.
 */
export class Cursor {
  constructor(private seq: number | undefined = undefined) {}

  get value(): number | undefined {
    return this.seq;
  }

  /** True, and the cursor moves, when `seq` is newer than anything seen; false for a repeat. */
  offer(seq: number): boolean {
    if (this.seq !== undefined && seq <= this.seq) return false;
    this.seq = seq;
    return true;
  }

  /** As `offer`, for a second frame of the event at the cursor (a join's `member_joined` after its system line): false only for an older one. */
  reach(seq: number): boolean {
    if (this.seq !== undefined && seq < this.seq) return false;
    this.seq = seq;
    return true;
  }

  /** Moves forward only: `ready { cursor }` after a replay, or a starting point from history. */
  advanceTo(seq: number): void {
    if (this.seq === undefined || seq > this.seq) this.seq = seq;
  }
}
