import { z } from 'zod';
import { ClientMsgId, RoomId, Seq, UserId } from './ids.ts';
import { InvitationView, MemberView, MessageView, UserView } from './views.ts';

export const FRAME_MAX_BYTES = 16 * 1024;

/** What a client sends on the one-room socket (`/ws/{room}/{user}`, the seed's): the room is the path's. */
export const ClientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), content: z.string(), client_msg_id: ClientMsgId.optional() }),
  z.object({ type: z.literal('typing') }),
  z.object({ type: z.literal('resume'), since: Seq }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/**
 * What a client sends on the multiplexed socket (`/ws`): one socket per device, any number of
 * rooms. A subscription may start from a cursor (`since`); every frame about a room names it.
 */
export const MuxClientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), room_id: RoomId, since: Seq.optional() }),
  z.object({ type: z.literal('unsubscribe'), room_id: RoomId }),
  z.object({ type: z.literal('message'), room_id: RoomId, content: z.string(), client_msg_id: ClientMsgId.optional() }),
  z.object({ type: z.literal('typing'), room_id: RoomId }),
  z.object({ type: z.literal('ping') }),
]);
export type MuxClientFrame = z.infer<typeof MuxClientFrame>;
export const MUX_CLIENT_FRAME_TYPES = ['subscribe', 'unsubscribe', 'message', 'typing', 'ping'] as const;

/**
 * A change to a room's timeline: a new message, or a change to an older one. `seq` is the seq of
 * the event it reports (for `message_updated`, the edit's or deletion's own), so a client's
 * cursor is the last frame seq it saw, and a resume after it delivers every later change.
 */
const MessageFrame = z.object({ type: z.literal('message'), room_id: RoomId, message: MessageView, seq: Seq });
const MessageUpdatedFrame = z.object({ type: z.literal('message_updated'), room_id: RoomId, message: MessageView, seq: Seq });
/** A member's new name or avatar, for every room they are a member of: their messages show it. */
const ProfileUpdatedFrame = z.object({ type: z.literal('profile_updated'), room_id: RoomId, user: UserView, seq: Seq });

export const TimelineFrame = z.discriminatedUnion('type', [MessageFrame, MessageUpdatedFrame]);
export type TimelineFrame = z.infer<typeof TimelineFrame>;

/**
 * What a resume gets from the read models: the timeline's changes after its cursor, and the last
 * profile change of each member whose profile changed after it (their older messages, which the
 * client already has, show the new name and avatar from then on).
 */
export const ReplayFrame = z.discriminatedUnion('type', [MessageFrame, MessageUpdatedFrame, ProfileUpdatedFrame]);
export type ReplayFrame = z.infer<typeof ReplayFrame>;

/** Frames about a room that every socket in it gets, built by the gateways from the event log. */
export const LiveFrame = z.discriminatedUnion('type', [
  MessageFrame,
  MessageUpdatedFrame,
  z.object({ type: z.literal('member_joined'), room_id: RoomId, member: MemberView, seq: Seq }),
  z.object({ type: z.literal('member_left'), room_id: RoomId, user_id: UserId, seq: Seq }),
  ProfileUpdatedFrame,
]);
export type LiveFrame = z.infer<typeof LiveFrame>;

/** Typing, relayed between gateways on `<ns>.live.typing.<room>`; never stored. */
export const TypingSignal = z.object({ user_id: UserId, gateway: z.string().max(64) });

/**
 * Who is online in a room: its members with a connection open (any device, any page). The first
 * frame of a subscription is a snapshot (`online`); later ones are diffs (`joined`, `left`). `seq`
 * grows by one per frame of the room on a gateway, so a client that sees a gap resubscribes.
 */
export const PresenceFrame = z.object({
  type: z.literal('presence'),
  room_id: RoomId,
  online: z.array(UserId).optional(),
  joined: z.array(UserId).optional(),
  left: z.array(UserId).optional(),
  seq: Seq,
});
export type PresenceFrame = z.infer<typeof PresenceFrame>;

/**
 * Multiplexed socket, about any of the user's rooms whether subscribed or not (what a sidebar of
 * "my rooms" needs): a new message in one (`room_activity`: it moves up; its unread count grows
 * unless the message is the user's own), and a read marker moved on any of the user's devices.
 * And about the user's invitations: one to a private room (`invited`, as `GET /me/invitations`
 * lists it), and one the user declined on any device (`invitation_declined`: it is gone). An
 * invitation the user takes up goes with their join (`room_activity` with their join line).
 */
export const InboxFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('room_activity'), room_id: RoomId, message: MessageView, seq: Seq }),
  z.object({ type: z.literal('read_marker'), room_id: RoomId, seq: Seq }),
  z.object({ type: z.literal('invited'), room_id: RoomId, invitation: InvitationView, seq: Seq }),
  z.object({ type: z.literal('invitation_declined'), room_id: RoomId, seq: Seq }),
]);
export type InboxFrame = z.infer<typeof InboxFrame>;

export const ServerFrame = z.union([
  LiveFrame,
  InboxFrame,
  PresenceFrame,
  z.object({ type: z.literal('typing'), room_id: RoomId, user_id: UserId }),
  /** One-room socket: live from `cursor` on. */
  z.object({ type: z.literal('ready'), room_id: RoomId, user_id: UserId, cursor: Seq }),
  /** Multiplexed socket: the connection is open for this user. */
  z.object({ type: z.literal('welcome'), user_id: UserId }),
  /** Multiplexed socket: the room is live from `cursor` on (its replay, if any, came before). */
  z.object({ type: z.literal('subscribed'), room_id: RoomId, cursor: Seq }),
  /** Multiplexed socket: the room is no longer followed (`not_member`: the user left it). */
  z.object({ type: z.literal('unsubscribed'), room_id: RoomId, reason: z.string().optional() }),
  /** A refusal; with `room_id` it concerns that subscription only, and the socket stays open. */
  z.object({ type: z.literal('error'), room_id: RoomId.optional(), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('pong') }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

export { CloseCode } from './close-codes.ts';
