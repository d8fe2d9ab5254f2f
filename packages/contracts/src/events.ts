import { z } from 'zod';
import { ClientMsgId, MessageId, RoomId, UserId } from './ids.ts';
import { Avatar, Username } from './profile.ts';

export const MESSAGE_MAX = 4000;

export const MessageContent = z
  .string()
  .transform((s) => s.trim())
  .refine((s) => s.length > 0, 'must not be empty')
  .refine((s) => s.length <= MESSAGE_MAX, `must be at most ${MESSAGE_MAX} characters`);

export const RoomName = z
  .string()
  .transform((s) => s.normalize('NFC').trim())
  .refine((s) => s.length >= 1 && s.length <= 100, 'must be 1-100 characters')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');

export const EventMeta = z.object({
  correlation_id: z.string().min(1).max(128),
  causation_id: z.string().max(128).nullable(),
  actor: z.string().max(64).nullable(),
});
export type EventMeta = z.infer<typeof EventMeta>;

const event = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({
    id: z.string().min(1).max(64),
    type: z.literal(type),
    version: z.literal(1),
    occurred_at: z.iso.datetime(),
    data,
    meta: EventMeta,
  });

export const RoomCreated = event('RoomCreated', z.object({ room_id: RoomId, name: RoomName, created_by: UserId.nullable() }));
export const UserJoined = event('UserJoined', z.object({ room_id: RoomId, user_id: UserId }));
export const UserLeft = event('UserLeft', z.object({ room_id: RoomId, user_id: UserId }));
export const MessagePosted = event(
  'MessagePosted',
  z.object({
    room_id: RoomId,
    message_id: MessageId,
    user_id: UserId,
    content: MessageContent,
    client_msg_id: ClientMsgId.nullable(),
  }),
);
export const MessageEdited = event('MessageEdited', z.object({ room_id: RoomId, message_id: MessageId, user_id: UserId, content: MessageContent }));
export const MessageDeleted = event('MessageDeleted', z.object({ room_id: RoomId, message_id: MessageId, user_id: UserId }));
export const UserRegistered = event('UserRegistered', z.object({ user_id: UserId, username: Username, avatar: Avatar.nullable() }));
/** Carries the whole new profile, so a projection needs no earlier state to apply it. */
export const ProfileUpdated = event('ProfileUpdated', z.object({ user_id: UserId, username: Username, avatar: Avatar.nullable() }));

export const RoomEvent = z.discriminatedUnion('type', [RoomCreated, UserJoined, UserLeft]);
export const MessageEvent = z.discriminatedUnion('type', [MessagePosted, MessageEdited, MessageDeleted]);
export const UserEvent = z.discriminatedUnion('type', [UserRegistered, ProfileUpdated]);
export const ChatEvent = z.discriminatedUnion('type', [
  RoomCreated,
  UserJoined,
  UserLeft,
  MessagePosted,
  MessageEdited,
  MessageDeleted,
  UserRegistered,
  ProfileUpdated,
]);

export type RoomCreated = z.infer<typeof RoomCreated>;
export type UserJoined = z.infer<typeof UserJoined>;
export type UserLeft = z.infer<typeof UserLeft>;
export type MessagePosted = z.infer<typeof MessagePosted>;
export type MessageEdited = z.infer<typeof MessageEdited>;
export type MessageDeleted = z.infer<typeof MessageDeleted>;
export type UserRegistered = z.infer<typeof UserRegistered>;
export type ProfileUpdated = z.infer<typeof ProfileUpdated>;
export type RoomEvent = z.infer<typeof RoomEvent>;
export type MessageEvent = z.infer<typeof MessageEvent>;
export type UserEvent = z.infer<typeof UserEvent>;
export type ChatEvent = z.infer<typeof ChatEvent>;
export type ChatEventType = ChatEvent['type'];

/** What a decider returns: an event before the envelope (id, time, meta) is put around it. */
export type EventDraft<E extends ChatEvent = ChatEvent> = E extends ChatEvent ? Pick<E, 'type' | 'data'> : never;

/**
 * Upcasters turn an older stored version of an event into the current one. Stored events are
 * never rewritten; a schema change adds a version here and the readers see only the latest.
 * Keyed by `${type}@${version}`.
 */
const upcasters: Record<string, (raw: Record<string, unknown>) => Record<string, unknown>> = {};

export function upcast(raw: unknown): unknown {
  let current = raw as Record<string, unknown>;
  for (let guard = 0; guard < 16; guard++) {
    if (typeof current !== 'object' || current === null) return current;
    const step = upcasters[`${String(current.type)}@${String(current.version)}`];
    if (!step) return current;
    current = step(current);
  }
  return current;
}

/** Validates a stored event (after upcasting) as read from the log. */
export const parseEvent = (raw: unknown) => ChatEvent.safeParse(upcast(raw));
