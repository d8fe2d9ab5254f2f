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

/** Frames the projection publishes on a room's live subject, forwarded to sockets as they are. */
export const LiveFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), message: MessageView }),
  z.object({ type: z.literal('message_updated'), message: MessageView }),
  z.object({ type: z.literal('member_joined'), member: MemberView, seq: Seq }),
  z.object({ type: z.literal('member_left'), user_id: UserId, seq: Seq }),
  z.object({ type: z.literal('profile_updated'), user: UserView, seq: Seq }),
]);
export type LiveFrame = z.infer<typeof LiveFrame>;

export const ServerFrame = z.union([
  LiveFrame,
  z.object({ type: z.literal('ready'), room_id: z.string(), user_id: z.string(), cursor: Seq }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('pong') }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** Close codes a client can act on. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  tryAgainLater: 1013,
} as const;
