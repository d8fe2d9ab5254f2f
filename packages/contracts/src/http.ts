import { z } from 'zod';
import { ClientMsgId, RoomId, Seq, UserId } from './ids.ts';
import { EmojiInput, MessageContentInput, RoomNameInput, Visibility } from './events.ts';
import { Username } from './profile.ts';
import { HISTORY_LIMIT_MAX, MEMBERS_LIMIT_MAX, ROOMS_LIMIT_MAX } from './rpc.ts';
import { AVATAR_UPLOAD_MAX_BYTES } from './image-sniff.ts';

export const JSON_BODY_MAX_BYTES = 64 * 1024;

/**
 * JSON bodies that may carry an `avatar_url` (register, profile change, join): old frontends send
 * the picture itself as a `data:image/…;base64,` URL, which is an upload with the same 1 MiB limit
 * on the decoded image, so the body must have room for its base64 (4/3 of it) and the rest.
 */
export const AVATAR_JSON_BODY_MAX_BYTES = Math.ceil(AVATAR_UPLOAD_MAX_BYTES / 3) * 4 + JSON_BODY_MAX_BYTES;

/**
 * An avatar as old frontends send it: an http(s) URL (at most 2048 characters, checked when it is
 * read; placeholder services are ignored) or a data: URL (its decoded size is checked when decoded,
 * so an oversize picture is a 413, not a validation error).
 */
const AvatarUrlInput = z.string().max(AVATAR_JSON_BODY_MAX_BYTES).nullable().optional();

export const RegisterBody = z.object({
  username: Username,
  avatar_url: AvatarUrlInput,
  /** Open mode only: the id the frontend already uses. */
  user_id: UserId.optional(),
});

export const PatchUserBody = z
  .object({ username: Username.optional(), avatar_url: AvatarUrlInput })
  .refine((b) => b.username !== undefined || b.avatar_url !== undefined, 'nothing to change');

export const CreateRoomBody = z.object({
  id: RoomId.optional(),
  name: RoomNameInput,
  user_id: UserId.optional(),
  /** `private`: only members see it and only invited users may join (the creator is its first member). */
  visibility: Visibility.default('public'),
});

/** How far the user has read a room: the seq of the last event they saw there (a cursor). */
export const ReadMarkerBody = z.object({ seq: Seq, user_id: UserId.optional() });

/** An invitation into a private room, by one of its members (`user_id`: the inviter, as in every seed body). */
export const InviteBody = z.object({ invitee: UserId, user_id: UserId.optional() });

/** The seed's join body; in token mode only what the token says counts. */
export const JoinBody = z.object({
  user_id: UserId.optional(),
  username: z.string().optional(),
  avatar_url: AvatarUrlInput,
});

export const LeaveBody = z.object({ user_id: UserId.optional() });

/** The seed's post body (`user_id`, `username`, `type` are accepted; the token or profile decides). */
export const PostMessageBody = z.object({
  content: MessageContentInput,
  client_msg_id: ClientMsgId.optional(),
  user_id: UserId.optional(),
  username: z.string().optional(),
  avatar_url: AvatarUrlInput,
  type: z.literal('text').optional(),
});

export const EditMessageBody = z.object({ content: MessageContentInput, user_id: UserId.optional() });
/** An emoji to put on a message (`user_id`: who reacts, as in every seed body). */
export const ReactionBody = z.object({ emoji: EmojiInput, user_id: UserId.optional() });

const SeqParam = z.coerce.number().int().nonnegative();
export const LONG_POLL_MAX_SECONDS = 30;
export const HistoryQuery = z
  .object({
    before: SeqParam.optional(),
    after: SeqParam.optional(),
    limit: z.coerce.number().int().min(1).max(HISTORY_LIMIT_MAX).default(50),
    /** Long-poll: with `after`, wait up to this many seconds for a newer message. */
    wait: z.coerce.number().int().min(0).max(LONG_POLL_MAX_SECONDS).optional(),
  })
  .refine((q) => q.before === undefined || q.after === undefined, 'use before or after, not both')
  .refine((q) => q.wait === undefined || q.after !== undefined, 'wait needs after=<seq>');

/**
 * A room's changes after a cursor (`GET /rooms/{id}/changes`): what a socket's resume replays, for
 * clients that long-poll: new messages, edits and deletions of older ones, members' profile changes.
 */
export const ChangesQuery = z.object({
  since: SeqParam,
  limit: z.coerce.number().int().min(1).max(HISTORY_LIMIT_MAX).default(50),
  /** Long-poll: wait up to this many seconds for the next change. */
  wait: z.coerce.number().int().min(0).max(LONG_POLL_MAX_SECONDS).optional(),
});

/** A page of rooms, newest activity first; `before` is the `X-Next-Before` of the previous page. */
export const RoomsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(ROOMS_LIMIT_MAX).default(100),
  before: SeqParam.optional(),
});

/** A page of my invitations, newest first; `before` is the `X-Next-Before` of the previous page. */
export const InvitationsQuery = RoomsQuery;

/**
 * Where a page of members ends: the last member's join time (epoch ms) and id, `<ms>:<user id>`,
 * so the next page starts right after it even if that member has left in between.
 */
export const MemberCursor = z
  .string()
  .regex(/^\d{1,15}:[A-Za-z0-9_-]{1,64}$/, 'must be the X-Next-After of a members page')
  .transform((s) => {
    const at = s.indexOf(':');
    return { joinedAt: new Date(Number(s.slice(0, at))).toISOString(), userId: s.slice(at + 1) };
  });
export type MemberCursor = z.output<typeof MemberCursor>;
export const memberCursor = (m: { user_id: string; joined_at: string }): string => `${Date.parse(m.joined_at)}:${m.user_id}`;

/** A page of members, oldest first; `after` is the `X-Next-After` of the previous page. */
export const MembersQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MEMBERS_LIMIT_MAX).default(MEMBERS_LIMIT_MAX),
  after: MemberCursor.optional(),
});

export const WsQuery = z.object({
  token: z.string().optional(),
  since: SeqParam.optional(),
  username: z.string().optional(),
  avatar_url: AvatarUrlInput,
});

export const RoomIdParam = RoomId;
export const UserIdParam = UserId;

/** Who is online in a room. */
export const PresenceResponse = z.object({ room_id: RoomId, online: z.array(UserId) });
export type PresenceResponse = z.infer<typeof PresenceResponse>;
