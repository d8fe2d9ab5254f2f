import { z } from 'zod';
import { ClientMsgId, Seq, UserId } from './ids.ts';
import { MemberView, MessageView, UserView } from './views.ts';

export const FRAME_MAX_BYTES = 16 * 1024;

export const ClientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), content: z.string(), client_msg_id: ClientMsgId.optional() }),
  z.object({ type: z.literal('typing') }),
  z.object({ type: z.literal('resume'), since: Seq }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/**
 * A change to a room's timeline: a new message, or a change to an older one. `seq` is the seq of
 * the event it reports (for `message_updated`, the edit's or deletion's own), so a client's
 * cursor is the last frame seq it saw, and a resume after it delivers every later change.
 */
export const TimelineFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), message: MessageView, seq: Seq }),
  z.object({ type: z.literal('message_updated'), message: MessageView, seq: Seq }),
]);
export type TimelineFrame = z.infer<typeof TimelineFrame>;

/** Frames about a room that every socket in it gets, built by the gateways from the event log. */
export const LiveFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), message: MessageView, seq: Seq }),
  z.object({ type: z.literal('message_updated'), message: MessageView, seq: Seq }),
  z.object({ type: z.literal('member_joined'), member: MemberView, seq: Seq }),
  z.object({ type: z.literal('member_left'), user_id: UserId, seq: Seq }),
  z.object({ type: z.literal('profile_updated'), user: UserView, seq: Seq }),
]);
export type LiveFrame = z.infer<typeof LiveFrame>;

/** Typing, relayed between gateways on `<ns>.live.typing.<room>`; never stored. */
export const TypingSignal = z.object({ user_id: UserId, gateway: z.string().max(64) });

/**
 * Who is online in a room, per user. The first frame on a socket is a snapshot (`online`); later
 * ones are diffs (`joined`, `left`). `seq` grows by one per frame on a socket's gateway, so a client
 * that sees a gap can ask for a fresh snapshot by reconnecting.
 */
export const PresenceFrame = z.object({
  type: z.literal('presence'),
  online: z.array(UserId).optional(),
  joined: z.array(UserId).optional(),
  left: z.array(UserId).optional(),
  seq: Seq,
});
export type PresenceFrame = z.infer<typeof PresenceFrame>;

export const ServerFrame = z.union([
  LiveFrame,
  PresenceFrame,
  z.object({ type: z.literal('typing'), user_id: UserId }),
  z.object({ type: z.literal('ready'), room_id: z.string(), user_id: z.string(), cursor: Seq }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('pong') }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

export { CloseCode } from './close-codes.ts';
