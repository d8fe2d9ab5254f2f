import { CorruptEventError, decodeEvent, type Follower, followStream, type JetStreamManager, type JsMsg, type NatsConnection, streamIdentity } from '@chat/bus';
import type { LiveFrame, Subjects } from '@chat/contracts';
import type { Logger } from '@chat/runtime';
import type { Inbox } from '../inbox.ts';
import type { RoomHub } from '../room-hub.ts';
import { type Author, effectOf, invitationFrame, profileFrame, subjectUser } from './frames.ts';
import { type ProfileDirectory, userView } from './profile-directory.ts';

/** No event and no heartbeat for this long: the feed is not healthy (readiness says so). */
export const FEED_SILENCE_MS = 5000;

/**
 * The gateway's live path: it reads the event log itself, in order, from the moment it starts,
 * and turns each event of a room it holds into frames for that room's sockets, enriched from the
 * profile directory. No Postgres on the way: a frame is out as soon as JetStream has stored its
 * event, whatever the projection is doing. The log is followed by an ordered consumer, so a NATS
 * reconnect, a restarted server or a lost cluster node leaves no hole: the consumer is recreated
 * and carries on after the last event it delivered.
 *
 * Every gateway reads every event. That costs one subject look-up for an event of a room it does
 * not hold (no decoding), and keeps the live path free of any publisher to fail over.
 */
export class LiveFeed {
  private follower: Follower | null = null;
  private at = 0;
  private readonly prefix: string;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly s: Subjects,
    private readonly hub: () => RoomHub,
    private readonly directory: ProfileDirectory,
    private readonly log: Logger,
    private readonly inbox: () => Inbox<unknown> | null = () => null,
  ) {
    this.prefix = `${s.ns}.evt.`;
  }

  /** Every event up to this seq has been handed to the hub. */
  get position(): number {
    return this.at;
  }

  get healthy(): boolean {
    return this.follower !== null && Date.now() - this.follower.lastSignalAt < FEED_SILENCE_MS;
  }

  /** Starts at the end of the log: sockets that want earlier events ask for them with `since`. */
  async start(): Promise<void> {
    const { lastSeq } = await streamIdentity(this.jsm, this.s.stream);
    this.at = lastSeq;
    this.follower = followStream(this.nc, {
      stream: this.s.stream,
      fromSeq: lastSeq + 1,
      batch: 1000,
      onBatch: (msgs) => this.take(msgs),
      onReset: (reason) => this.log.warn({ reason, position: this.at }, 'live feed consumer recreated; carrying on from its position'),
    });
    void this.follower.done.catch((err: unknown) => this.log.error({ err }, 'live feed stopped'));
  }

  async stop(): Promise<void> {
    await this.follower?.stop();
    this.follower = null;
  }

  private async take(msgs: JsMsg[]): Promise<void> {
    for (const m of msgs) {
      try {
        await this.one(m);
      } catch (err) {
        // One event that cannot be shown must not hold up the rest.
        this.log.warn({ err, seq: m.seq, subject: m.subject }, err instanceof CorruptEventError ? 'skipping an unreadable event' : 'live frame failed');
      }
      this.at = m.seq;
    }
  }

  private async one(m: JsMsg): Promise<void> {
    const hub = this.hub();
    const inbox = this.inbox();
    // <ns>.evt.<kind>.<id>[.<message>]
    const [kind, id] = m.subject.slice(this.prefix.length).split('.');
    if (!kind || !id) return;
    if (kind === 'read') {
      // A user's read markers: for their devices here, if any.
      if (!inbox?.has(id)) return;
      const { event } = decodeEvent(m.seq, m.data);
      if (event.type === 'ReadMarkerMoved') inbox.readMarker(event.data.user_id, event.data.room_id, Math.min(event.data.seq, m.seq));
      return;
    }
    if (kind === 'room' || kind === 'msg' || kind === 'edit') {
      hub.noteEvent(id, m.seq);
      // Membership events matter to the inbox of any user here, whatever the room.
      const forInbox = inbox !== null && (inbox.follows(id) || (kind === 'room' && !inbox.empty));
      if (!hub.holds(id) && !forInbox) return;
    } else if (kind !== 'user') {
      return;
    }
    const { event, seq } = decodeEvent(m.seq, m.data);
    if (event.type === 'UserRegistered' || event.type === 'ProfileUpdated') {
      if (event.type === 'ProfileUpdated') hub.noteProfile(seq);
      const profile = this.directory.apply(event.data.user_id, event.data.username, event.data.avatar, seq);
      if (event.type === 'ProfileUpdated') {
        const user = userView(event.data.user_id, profile);
        for (const roomId of hub.roomsOf(event.data.user_id)) hub.deliver(roomId, seq, [profileFrame(roomId, user, seq)]);
      }
      return;
    }
    if (event.type === 'UserInvited' || event.type === 'InvitationDeclined') {
      // For the invitee's devices here, if any: they are not in the room, so no room hears of it.
      if (!inbox?.has(event.data.user_id)) return;
      const inviter = event.type === 'UserInvited' ? await this.author(event.data.invited_by) : { username: null, avatar: null };
      const told = invitationFrame(event, seq, inviter);
      if (told) inbox.invitation(told.userId, told.frame);
      return;
    }
    const userId = subjectUser(event);
    const effect = effectOf(event, seq, userId ? await this.author(userId) : { username: null, avatar: null });
    if (effect.kind !== 'room') return;
    if (hub.holds(effect.roomId)) hub.deliver(effect.roomId, seq, effect.frames, { joined: effect.joined, left: effect.left });
    if (inbox) this.toInbox(inbox, effect.roomId, effect.frames, effect.joined, effect.left);
  }

  /**
   * New timeline lines (posts, joins, leaves) go to the members' inboxes: a joiner's devices hear
   * of their join (the room appears), a leaver's of their leave (it goes), before they drop out.
   */
  private toInbox(inbox: Inbox<unknown>, roomId: string, frames: readonly LiveFrame[], joined?: string, left?: string): void {
    if (joined) inbox.membership(roomId, joined, true);
    for (const frame of frames) if (frame.type === 'message') inbox.activity(roomId, frame.message, frame.seq);
    if (left) inbox.membership(roomId, left, false);
  }

  private async author(userId: string): Promise<Author> {
    try {
      const p = await this.directory.get(userId);
      return p.seq > 0 ? { username: p.username, avatar: p.avatar } : { username: null, avatar: null };
    } catch (err) {
      this.log.warn({ err, userId }, 'profile look-up failed; showing the default name and avatar');
      return { username: null, avatar: null };
    }
  }
}
