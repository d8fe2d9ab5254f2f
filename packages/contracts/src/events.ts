import { z } from 'zod';
import { ClientMsgId, ID_PATTERN, MessageId, RoomId, Seq, UserId } from './ids.ts';
import { Avatar, Username } from './profile.ts';
import { emojiProblem, FORBIDDEN_IN_NAME, hasControlCharacters, normaliseLineBreaks } from './text.ts';

export const MESSAGE_MAX = 4000;

/** Message text as stored events hold it (the rules it was written under; see `MessageContentInput`). */
export const MessageContent = z
  .string()
  .transform((s) => s.trim())
  .refine((s) => s.length > 0, 'must not be empty')
  .refine((s) => s.length <= MESSAGE_MAX, `must be at most ${MESSAGE_MAX} characters`);

/** Message text as a client sends it: line breaks normalised; no NUL or other control character but tab and line feed. */
export const MessageContentInput = z
  .string()
  .transform(normaliseLineBreaks)
  .refine((s) => !hasControlCharacters(s), 'must not contain control characters (line breaks and tabs are fine)')
  .pipe(MessageContent);

/** A room name as stored events hold it. */
export const RoomName = z
  .string()
  .transform((s) => s.normalize('NFC').trim())
  .refine((s) => s.length >= 1 && s.length <= 100, 'must be 1-100 characters')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');

/** A room name as a client sends it: also no C1 control, line separator or bidirectional override. */
export const RoomNameInput = z
  .string()
  .refine((s) => !FORBIDDEN_IN_NAME.test(s), 'must not contain control characters or bidirectional overrides')
  .pipe(RoomName);

export const EventMeta = z.object({
  correlation_id: z.string().min(1).max(128),
  causation_id: z.string().max(128).nullable(),
  actor: z.string().max(64).nullable(),
});
export type EventMeta = z.infer<typeof EventMeta>;

const event = <T extends string, D extends z.ZodType, V extends number = 1>(type: T, data: D, version: V = 1 as V) =>
  z.object({
    id: z.string().min(1).max(64),
    type: z.literal(type),
    version: z.literal(version),
    occurred_at: z.iso.datetime(),
    data,
    meta: EventMeta,
  });

/**
 * Who may see and join a room. Public: anyone signed in may read it and join. Private: only its
 * members see it, and only invited users may join. Events written before rooms had a visibility
 * carry none and are public, as those rooms were.
 */
export const Visibility = z.enum(['public', 'private']);
export type Visibility = z.infer<typeof Visibility>;

export const RoomCreated = event(
  'RoomCreated',
  z.object({ room_id: RoomId, name: RoomName, created_by: UserId.nullable(), visibility: Visibility.default('public') }),
);
export const UserJoined = event('UserJoined', z.object({ room_id: RoomId, user_id: UserId }));
export const UserLeft = event('UserLeft', z.object({ room_id: RoomId, user_id: UserId }));
/**
 * How far a user has read a room: every message up to `seq` (the seq of the last event they saw
 * there). Markers only move forward, and never past the event that moves them; unread counts and
 * every device of the user follow them.
 */
export const ReadMarkerMoved = event('ReadMarkerMoved', z.object({ room_id: RoomId, user_id: UserId, seq: Seq }));
/**
 * A member invited a user into a private room; the invitation is used up by the join, or ended
 * by the invitee declining it. Version 2 names the room as it was then (`room_name`), so the
 * invitee's devices can be told who invited them where without a look-up; version 1 did not
 * (null once upcast).
 */
export const UserInvited = event('UserInvited', z.object({ room_id: RoomId, user_id: UserId, invited_by: UserId, room_name: RoomName.nullable() }), 2);
/** The invitee turned an invitation down: it is no longer pending, and a join needs a new one. */
export const InvitationDeclined = event('InvitationDeclined', z.object({ room_id: RoomId, user_id: UserId }));
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
/**
 * Where a changed message was posted, so a change can be shown without looking the post up:
 * its seq, time and client id. Version 1 of the change events did not carry it (null once upcast).
 */
const ChangedPost = {
  message_seq: Seq.nullable(),
  posted_at: z.iso.datetime().nullable(),
  client_msg_id: ClientMsgId.nullable(),
};
/** An emoji as a client sends it: one grapheme, at most `EMOJI_MAX_BYTES` bytes, and an emoji. */
export const EmojiInput = z.string().superRefine((s, ctx) => {
  const problem = emojiProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** At most this many different emojis on one message. */
export const REACTIONS_MAX = 20;
/** A reaction on a message as events carry it: the emoji, and who reacted with it, first first. */
export const Reaction = z.object({ emoji: z.string().min(1).max(64), user_ids: z.array(UserId).min(1) });
export type Reaction = z.infer<typeof Reaction>;
/** A message's reactions right after a change, so a live frame can show them without a look-up (none before reactions existed). */
const ReactionsNow = { reactions: z.array(Reaction).default([]) };

export const MessageEdited = event(
  'MessageEdited',
  z.object({ room_id: RoomId, message_id: MessageId, user_id: UserId, content: MessageContent, ...ChangedPost, ...ReactionsNow }),
  2,
);
export const MessageDeleted = event(
  'MessageDeleted',
  z.object({ room_id: RoomId, message_id: MessageId, user_id: UserId, ...ChangedPost, ...ReactionsNow }),
  2,
);
/**
 * A member added or took back an emoji on a message (`user_id`: who reacted). Like edits, on the
 * message's own subject; each carries the message as it is after it, so it shows on its own.
 */
const ReactionChange = z.object({
  room_id: RoomId,
  message_id: MessageId,
  user_id: UserId,
  emoji: z.string().min(1).max(64),
  author_id: UserId,
  content: z.string(),
  edited_at: z.iso.datetime().nullable(),
  deleted: z.boolean(),
  ...ChangedPost,
  ...ReactionsNow,
});
export const ReactionAdded = event('ReactionAdded', ReactionChange);
export const ReactionRemoved = event('ReactionRemoved', ReactionChange);
export const UserRegistered = event('UserRegistered', z.object({ user_id: UserId, username: Username, avatar: Avatar.nullable() }));
/** Carries the whole new profile, so a projection needs no earlier state to apply it. */
export const ProfileUpdated = event('ProfileUpdated', z.object({ user_id: UserId, username: Username, avatar: Avatar.nullable() }));

export const RoomEvent = z.discriminatedUnion('type', [RoomCreated, UserJoined, UserLeft, UserInvited, InvitationDeclined]);
export const MessageEvent = z.discriminatedUnion('type', [MessagePosted, MessageEdited, MessageDeleted, ReactionAdded, ReactionRemoved]);
export const UserEvent = z.discriminatedUnion('type', [UserRegistered, ProfileUpdated]);
export const ChatEvent = z.discriminatedUnion('type', [
  RoomCreated,
  UserJoined,
  UserLeft,
  UserInvited,
  InvitationDeclined,
  ReadMarkerMoved,
  MessagePosted,
  MessageEdited,
  MessageDeleted,
  ReactionAdded,
  ReactionRemoved,
  UserRegistered,
  ProfileUpdated,
]);

export type RoomCreated = z.infer<typeof RoomCreated>;
export type UserJoined = z.infer<typeof UserJoined>;
export type UserLeft = z.infer<typeof UserLeft>;
export type UserInvited = z.infer<typeof UserInvited>;
export type InvitationDeclined = z.infer<typeof InvitationDeclined>;
export type ReadMarkerMoved = z.infer<typeof ReadMarkerMoved>;
export type MessagePosted = z.infer<typeof MessagePosted>;
export type MessageEdited = z.infer<typeof MessageEdited>;
export type MessageDeleted = z.infer<typeof MessageDeleted>;
export type ReactionAdded = z.infer<typeof ReactionAdded>;
export type ReactionRemoved = z.infer<typeof ReactionRemoved>;
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
const withoutPost = (raw: Record<string, unknown>) => ({
  ...raw,
  version: 2,
  data: { message_seq: null, posted_at: null, client_msg_id: null, ...(raw.data as Record<string, unknown>) },
});
const upcasters: Record<string, (raw: Record<string, unknown>) => Record<string, unknown>> = {
  'MessageEdited@1': withoutPost,
  'MessageDeleted@1': withoutPost,
  'UserInvited@1': (raw) => ({ ...raw, version: 2, data: { room_name: null, ...(raw.data as Record<string, unknown>) } }),
};

/** The version each event type is written at now. */
export const EVENT_VERSIONS: Record<ChatEventType, number> = {
  RoomCreated: 1,
  UserJoined: 1,
  UserLeft: 1,
  UserInvited: 2,
  InvitationDeclined: 1,
  ReadMarkerMoved: 1,
  MessagePosted: 1,
  MessageEdited: 2,
  MessageDeleted: 2,
  ReactionAdded: 1,
  ReactionRemoved: 1,
  UserRegistered: 1,
  ProfileUpdated: 1,
};

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
export const parseEvent = (raw: unknown): z.ZodSafeParseResult<ChatEvent> => {
  const posted = messagePostedFast(raw);
  return posted ? { success: true, data: posted } : ChatEvent.safeParse(upcast(raw));
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const idOk = (v: unknown): v is string => typeof v === 'string' && ID_PATTERN.test(v);
const nullableIdOk = (v: unknown): v is string | null => v === null || idOk(v);
const textOk = (v: unknown, min: number, max: number): v is string => typeof v === 'string' && v.length >= min && v.length <= max;
// The very pattern the schema checks times with, not a copy of it (ids: `ID_PATTERN`, as `Id`).
const DATETIME: RegExp = MessagePosted.shape.occurred_at._zod.pattern;

/**
 * `MessagePosted`, nearly every event of a busy log, checked by hand against the rules of its
 * schema at a fraction of zod's cost (readers such as the projection's rebuild decode the whole
 * log). It never decides alone: an event that passes is one `MessagePosted.parse` would return
 * as it is built here (the contract test compares the two on generated events); anything else,
 * valid or not, returns null and goes through zod, which has the last word and the error message.
 */
function messagePostedFast(raw: unknown): MessagePosted | null {
  if (!isObject(raw) || raw.type !== 'MessagePosted' || raw.version !== 1) return null;
  const { data, meta } = raw;
  if (!textOk(raw.id, 1, 64) || typeof raw.occurred_at !== 'string' || !DATETIME.test(raw.occurred_at) || !isObject(data) || !isObject(meta)) return null;
  if (!idOk(data.room_id) || !idOk(data.message_id) || !idOk(data.user_id) || !nullableIdOk(data.client_msg_id) || typeof data.content !== 'string')
    return null;
  const content = data.content.trim();
  if (content.length === 0 || content.length > MESSAGE_MAX) return null;
  const { correlation_id, causation_id, actor } = meta;
  if (!textOk(correlation_id, 1, 128) || !(causation_id === null || textOk(causation_id, 0, 128)) || !(actor === null || textOk(actor, 0, 64))) return null;
  return {
    id: raw.id,
    type: 'MessagePosted',
    version: 1,
    occurred_at: raw.occurred_at,
    data: { room_id: data.room_id, message_id: data.message_id, user_id: data.user_id, content, client_msg_id: data.client_msg_id },
    meta: { correlation_id, causation_id, actor },
  };
}
