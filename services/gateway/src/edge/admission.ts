import { AppError, type AvatarInput, isAppError, Username } from '@chat/contracts';
import { UPLOAD_CALL_TIMEOUT_MS } from '../avatar-uploads.ts';
import { type AvatarHint, avatarFromUrl } from '../avatar-hints.ts';
import type { GatewayContext } from '../context.ts';

/** What old frontends send along on join, post and connect: a name and an avatar for the user. */
export interface Hints {
  username?: string | undefined;
  avatar_url?: string | null | undefined;
}

/**
 * Who gets into a room, for HTTP and WebSocket alike; the room service is the source of truth for
 * membership. Token mode admits members only; open mode (the seed's behaviour) registers and joins
 * whoever a request names. Both fill an empty avatar from a hint, never replace one.
 */
export interface Admission {
  /** Before a join: the user's profile, as far as the hints may touch it. */
  beforeJoin(userId: string, hints: Hints, correlationId: string): Promise<void>;
  /** Before a post: nothing in token mode (the room service checks membership); open mode joins. */
  beforePost(userId: string, roomId: string, hints: Hints, correlationId: string): Promise<void>;
  /**
   * Before a socket opens: refused with `not_member` unless the user is in the room (open mode
   * joins them). Resolves with the seq of the room's last event the "member" rests on, if known.
   */
  socket(userId: string, roomId: string, hints: Hints, correlationId: string): Promise<number | undefined>;
}

/**
 * Whether `reader` may read a room (history, members, presence): anyone a public room, members a
 * private one. Asked of the room service, which knows from memory; run it beside the read itself.
 * A room that does not exist is left to the read to answer.
 */
export async function admitReader(ctx: GatewayContext, reader: string | null, roomId: string, correlationId: string): Promise<void> {
  // Without a reader (open mode's anonymous reads) the id asked about does not matter: no one is let in.
  const { visibility, member } = await ctx.call('membership', { room_id: roomId, user_id: reader ?? '_' }, correlationId);
  if (visibility === 'private' && (reader === null || !member)) throw new AppError('not_member', `room ${roomId} is private: members only`);
}

/** An avatar hint as sent: unusable ones are a client's fallback, ignored rather than refusing the user. */
function safeAvatar(ctx: GatewayContext, url: string | null | undefined): AvatarHint | undefined {
  if (url === undefined) return undefined;
  try {
    return avatarFromUrl(url);
  } catch (err) {
    ctx.log.info({ reason: (err as Error).message }, 'ignoring an unusable avatar hint');
    return undefined;
  }
}

/**
 * Makes sure the user exists (open mode) and fills an empty avatar from the hint. A `data:` avatar
 * is an upload, moved only when it can fill: the frontend sends its picture on every join.
 */
async function ensureProfile(ctx: GatewayContext, userId: string, hints: Hints, register: boolean, correlationId: string): Promise<void> {
  const hint = safeAvatar(ctx, hints.avatar_url);
  if (!register && !hint) return;
  const parsedName = register && hints.username !== undefined ? Username.safeParse(hints.username) : undefined;
  const username = parsedName?.success ? parsedName.data : undefined;
  const ensure = (avatar: AvatarInput | undefined) => ctx.call('ensureUser', { user_id: userId, username, avatar }, correlationId, UPLOAD_CALL_TIMEOUT_MS);
  if (hint?.kind !== 'bytes') {
    await ensure(hint);
    return;
  }
  const current = await ctx.call('getUser', { user_id: userId }, correlationId).catch((err: unknown) => {
    if (isAppError(err) && err.code === 'not_found') return null;
    throw err;
  });
  if (current && current.avatar_kind !== 'default') return;
  try {
    await ctx.withAvatar(hint, ensure);
  } catch (err) {
    if (!isAppError(err) || !['bad_request', 'payload_too_large', 'unsupported_media_type'].includes(err.code)) throw err;
    ctx.log.info({ userId, reason: err.message }, 'ignoring an avatar hint that is not a usable image');
    if (register && !current) await ensure(undefined);
  }
}

export class TokenAdmission implements Admission {
  constructor(private readonly ctx: GatewayContext) {}

  beforeJoin(userId: string, hints: Hints, correlationId: string): Promise<void> {
    return ensureProfile(this.ctx, userId, hints, false, correlationId);
  }

  async beforePost(): Promise<void> {}

  async socket(userId: string, roomId: string, hints: Hints, correlationId: string): Promise<number | undefined> {
    const [{ member, seq }] = await Promise.all([
      this.ctx.call('membership', { room_id: roomId, user_id: userId }, correlationId),
      ensureProfile(this.ctx, userId, hints, false, correlationId),
    ]);
    if (!member) throw new AppError('not_member', `join room ${roomId} before connecting`);
    return seq;
  }
}

export class OpenAdmission implements Admission {
  constructor(private readonly ctx: GatewayContext) {}

  beforeJoin(userId: string, hints: Hints, correlationId: string): Promise<void> {
    return ensureProfile(this.ctx, userId, hints, true, correlationId);
  }

  /** The seed's behaviour: whoever posts is registered and joined (both at once: they are independent). */
  async beforePost(userId: string, roomId: string, hints: Hints, correlationId: string): Promise<void> {
    await this.socket(userId, roomId, hints, correlationId);
  }

  /** As `beforePost`; the join's answer says at which seq of the room the user is a member. */
  async socket(userId: string, roomId: string, hints: Hints, correlationId: string): Promise<number | undefined> {
    const [, joined] = await Promise.all([
      ensureProfile(this.ctx, userId, hints, true, correlationId),
      this.ctx.call('joinRoom', { room_id: roomId, user_id: userId }, correlationId),
    ]);
    return joined.seq;
  }
}
