import type { MessageView, UserView } from './wire.ts';

export type ProfileChange = Pick<UserView, 'id' | 'username' | 'avatar'>;

/**
 * A room's messages in seq order, each once. Live frames, replays, history pages and a post's own
 * answer can all carry the same message; the timeline keeps one copy (by seq, the message's
 * position in the event log) and replaces it with the newest view of it.
 */
export class Timeline {
  private items: MessageView[] = [];
  /** The last profile change seen of each user: a page read before it, arriving after, shows it too. */
  private readonly profiles = new Map<string, ProfileChange>();

  get messages(): readonly MessageView[] {
    return this.items;
  }

  get newestSeq(): number | undefined {
    return this.items.at(-1)?.seq;
  }

  get oldestSeq(): number | undefined {
    return this.items[0]?.seq;
  }

  /**
   * Adds one message, or replaces the copy here unless that copy is newer (a live frame of a later
   * change that came before an action's answer); says which, and where it sits.
   */
  upsert(message: MessageView): { change: 'added' | 'updated'; index: number } {
    const index = this.search(message.seq);
    const here = this.items[index];
    if (here?.seq === message.seq) {
      if (!(here.changed_seq > message.changed_seq)) this.items[index] = message;
      return { change: 'updated', index };
    }
    this.items.splice(index, 0, message);
    return { change: 'added', index };
  }

  /**
   * A history page (any order); returns what to show, oldest first: the messages that were not
   * there yet, and those whose copy here it replaced. A copy here is kept unless the page's is newer
   * (a higher `changed_seq`: an edit this timeline missed); so a page read before an edit that
   * arrived live does not put the old text back.
   */
  addPage(page: readonly MessageView[]): MessageView[] {
    const shown: MessageView[] = [];
    for (const read of [...page].sort((a, b) => a.seq - b.seq)) {
      const index = this.search(read.seq);
      const here = this.items[index];
      if (here?.seq === read.seq && !(read.changed_seq > here.changed_seq)) continue;
      const profile = this.profiles.get(read.user_id);
      const message = profile ? { ...read, username: profile.username, avatar: profile.avatar } : read;
      if (here?.seq === read.seq) this.items[index] = message;
      else this.items.splice(index, 0, message);
      shown.push(message);
    }
    return shown;
  }

  /** A user's new name or avatar, on every message of theirs; returns the messages that changed. */
  applyProfile(user: ProfileChange): MessageView[] {
    this.profiles.set(user.id, { id: user.id, username: user.username, avatar: user.avatar });
    const changed: MessageView[] = [];
    this.items = this.items.map((m) => {
      if (m.user_id !== user.id || (m.username === user.username && m.avatar === user.avatar)) return m;
      const updated = { ...m, username: user.username, avatar: user.avatar };
      changed.push(updated);
      return updated;
    });
    return changed;
  }

  findByClientMsgId(clientMsgId: string): MessageView | undefined {
    return this.items.find((m) => m.client_msg_id === clientMsgId);
  }

  /** The index at which `seq` is, or would be inserted. */
  private search(seq: number): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.items[mid]!.seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
