/**
 * The one cursor of the API: the `seq` of the last message this client has seen. Messages reach
 * a client in seq order from each source (a socket's replay then live frames, a long-poll page),
 * and every source starts at or before the cursor, so a message at or below it has already been
 * delivered: dropping it is what makes a resume, a retry or two sources at once show each
 * message once.
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

  /** Moves forward only: `ready { cursor }` after a replay, or a starting point from history. */
  advanceTo(seq: number): void {
    if (this.seq === undefined || seq > this.seq) this.seq = seq;
  }
}
