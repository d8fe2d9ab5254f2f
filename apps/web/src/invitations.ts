import { ApiError, type ChatClient, type Connection, type InvitationView, type MessageView } from '@chat/client';
import { isLeaveLine } from './inbox.ts';
import { allPages, ListLoads, reloadWhenUnseen } from './server-list.ts';

/** Newest first, as `GET /me/invitations` orders them (by the seq of the invitation). */
export const newestFirst = (a: InvitationView, b: InvitationView) => b.seq - a.seq;

/** A new invitation: in the list once (a newer one for the same room replaces an older one). */
export function addInvitation(list: readonly InvitationView[], invitation: InvitationView): InvitationView[] {
  const same = list.find((i) => i.room_id === invitation.room_id);
  if (same && same.seq >= invitation.seq) return [...list];
  return [...list.filter((i) => i.room_id !== invitation.room_id), invitation].sort(newestFirst);
}

/** An invitation that is over (joined or declined, here or on another device). */
export const removeInvitation = (list: readonly InvitationView[], roomId: string): InvitationView[] => list.filter((i) => i.room_id !== roomId);

/** My own join line in a room: whatever invitation I had there is used up. */
export const isMyJoin = (m: MessageView, me: string) => m.type === 'system' && m.user_id === me && !isLeaveLine(m);

/** What a screen reader hears when an invitation arrives. */
export const invitedSentence = (i: InvitationView) => `${i.inviter.username} invited you to ${i.room_name}`;

/**
 * My invitations, kept current: loaded from `GET /me/invitations` (again after every reconnect,
 * since inbox frames are not replayed), then moved by the connection's `invited` and
 * `invitationDeclined`, and by my own join anywhere (the join line of `roomActivity`).
 */
export class Invitations {
  private items: InvitationView[] = [];
  private readonly listeners = new Set<(arrived?: InvitationView) => void>();
  private readonly offs: (() => void)[] = [];
  private readonly loads = new ListLoads(
    () => allPages((before) => this.client.invitations({ before })),
    (all) => {
      this.loaded = true;
      this.set(all);
    },
  );
  loaded = false;

  constructor(
    private readonly client: ChatClient,
    private readonly me: string,
  ) {}

  get list(): readonly InvitationView[] {
    return this.items;
  }

  /** `arrived`: an invitation that just came in live (to be announced). */
  onChange(f: (arrived?: InvitationView) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  bind(connection: Connection): void {
    this.offs.push(
      connection.on('invited', ({ invitation }) => {
        const had = this.items.some((i) => i.room_id === invitation.room_id);
        this.change((list) => addInvitation(list, invitation), had ? undefined : invitation);
      }),
      connection.on('invitationDeclined', ({ room_id }) => this.change((list) => removeInvitation(list, room_id))),
      connection.on('roomActivity', ({ room_id, message }) => {
        if (isMyJoin(message, this.me)) this.change((list) => removeInvitation(list, room_id));
      }),
      reloadWhenUnseen(
        connection,
        () => this.loaded,
        () => this.load(),
      ),
    );
  }

  /** Loads every page (see `allPages` and `ListLoads`). */
  load(): Promise<void> {
    return this.loads.load();
  }

  /** Joins the room: the invitation is used up (the room then arrives in my rooms). */
  async accept(roomId: string): Promise<void> {
    await this.client.join(roomId);
    this.change((list) => removeInvitation(list, roomId));
  }

  /** Declines; an invitation already declined (on another device, or twice) is as good as declined. */
  async decline(roomId: string): Promise<void> {
    try {
      await this.client.declineInvitation(roomId);
    } catch (err) {
      // Once declined, a private room is unknown to me: the server says so with a 404.
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    this.change((list) => removeInvitation(list, roomId));
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
    this.listeners.clear();
  }

  /** A change known here now: applied, and again over a load that may have been answered before it. */
  private change(f: (list: InvitationView[]) => InvitationView[], arrived?: InvitationView): void {
    this.loads.live(f);
    this.set(f(this.items), arrived);
  }

  private set(items: InvitationView[], arrived?: InvitationView): void {
    this.items = items;
    for (const f of [...this.listeners]) f(arrived);
  }
}
