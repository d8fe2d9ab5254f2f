import { AggregateRepository, EventStore, nuid, runCommand, serveRpc, type RequestContext } from '@chat/bus';
import {
  AVATAR_UPLOAD_MAX_BYTES,
  AppError,
  avatarKind,
  avatarUrl,
  type Avatar,
  type AvatarInput,
  type AvatarUpload,
  type Subjects,
  type UserEvent,
  type UserView,
} from '@chat/contracts';
import { KeyedLock, type Logger } from '@chat/runtime';
import { isTransientDbError } from '@chat/db';
import type { Kysely } from 'kysely';
import type { NatsConnection, ObjectStore, Service } from '@chat/bus';
import { AvatarPool } from './avatars/avatar-pool.ts';
import { normaliseAvatar } from './avatars/avatar-normaliser.ts';
import { avatarStore } from './db/avatar-store.ts';
import type { Database } from './db/schema.ts';
import { defaultAvatarSvg } from './domain/default-avatar.ts';
import { decide, evolve, initialState, type UserCommand, type UserState } from './domain/user.ts';

export interface ProfileServiceDeps {
  nc: NatsConnection;
  s: Subjects;
  log: Logger;
  db: Kysely<Database>;
  /** Where the gateway stages avatar uploads (see `openUploadStore`). */
  uploads: ObjectStore;
  now?: () => Date;
  onRequest?: (endpoint: string, ms: number, ok: boolean) => void;
  /** Where avatar decodes wait their turn (bounded: see `AvatarPool`). */
  pool?: AvatarPool;
}

export function toUserView(state: UserState): UserView {
  if (state.status !== 'registered') throw new AppError('not_found', 'user does not exist');
  return { id: state.id, username: state.username, avatar: avatarUrl(state.avatar, state.id), avatar_kind: avatarKind(state.avatar) };
}

/** Users and their avatars, event-sourced on the user's subject; avatar images in Postgres. */
export async function startProfileService({
  nc,
  s,
  log,
  db,
  uploads,
  now = () => new Date(),
  onRequest,
  pool = new AvatarPool(),
}: ProfileServiceDeps): Promise<Service> {
  const store = await EventStore.open(nc, s.stream);
  const users = new AggregateRepository<UserState, UserEvent>(store, { subject: s.events.user, initialState, evolve });
  const lock = new KeyedLock();

  /**
   * One command on one user. `build` sees the user's current state first, so an upload is checked
   * and stored only when the command can use it (nothing is stored for a refused command); the
   * decider still has the last word against the state it appends to.
   */
  const handle = (userId: string, ctx: RequestContext, build: (state: UserState) => Promise<UserCommand>) =>
    lock.run(userId, async () => {
      const command = await build((await users.load(userId)).state);
      return runCommand(users, userId, (state) => decide(command, state), {
        meta: { correlation_id: ctx.correlationId, causation_id: null, actor: userId },
        now,
      });
    });

  /**
   * An external avatar as it is; an upload read, checked, normalised (in the bounded pool, dropped
   * if its caller has given up meanwhile) and stored: a custom one.
   */
  async function resolveAvatar(input: AvatarInput, ctx: RequestContext): Promise<Avatar> {
    if (input.kind === 'external') return input;
    const stillWanted = async () => !!(await uploads.info(input.object).catch(() => null));
    const normalised = await normaliseAvatar(await readUpload(uploads, input), (pixels, task) =>
      pool.run(pool.laneOf(pixels), { deadline: ctx.deadline, stillWanted }, task),
    );
    await avatarStore.save(db, normalised);
    log.info({ key: normalised.key, bytes: input.size }, 'avatar stored');
    return { kind: 'custom', key: normalised.key };
  }

  return serveRpc(
    nc,
    s,
    { name: 'profile', version: '0.2.0', log, onRequest, transient: isTransientDbError },
    {
      registerUser: async (req, ctx) => {
        const userId = req.user_id ?? `u_${nuid.next()}`;
        const { after } = await handle(userId, ctx, async (state) => {
          if (state.status === 'registered') throw new AppError('conflict', `user ${userId} already exists`);
          const avatar = req.avatar ? await resolveAvatar(req.avatar, ctx) : null;
          return { type: 'RegisterUser', data: { user_id: userId, username: req.username, avatar } };
        });
        return { user: toUserView(after.state), seq: after.seq };
      },

      ensureUser: async (req, ctx) => {
        const { before, after } = await handle(req.user_id, ctx, async (state) => {
          // Fill-only: an avatar a user already has is never replaced, so such an upload is not even read.
          const fills = state.status === 'none' || state.avatar === null;
          const avatar = req.avatar && fills ? await resolveAvatar(req.avatar, ctx) : undefined;
          return { type: 'EnsureUser', data: { user_id: req.user_id, username: req.username, avatar } };
        });
        return { user: toUserView(after.state), created: before.state.status === 'none' };
      },

      updateUser: async (req, ctx) => {
        const { after } = await handle(req.user_id, ctx, async (state) => {
          if (state.status === 'none') throw new AppError('not_found', `user ${req.user_id} does not exist`);
          const avatar = req.avatar ? await resolveAvatar(req.avatar, ctx) : req.avatar;
          return { type: 'UpdateProfile', data: { user_id: req.user_id, username: req.username, avatar } };
        });
        return { user: toUserView(after.state), seq: after.seq };
      },

      getUser: async (req) => toUserView((await users.load(req.user_id)).state),

      defaultAvatar: async (req) => {
        const { state } = await users.load(req.user_id);
        if (state.status !== 'registered') throw new AppError('not_found', `user ${req.user_id} does not exist`);
        return { svg: defaultAvatarSvg(state.id, state.username) };
      },

      getAvatar: async (req) => {
        const bytes = await avatarStore.load(db, req.key, req.size);
        if (!bytes) throw new AppError('not_found', 'no such avatar');
        return { webp: bytes.toString('base64') };
      },
    },
  );
}

/** The bytes the gateway staged, refused past the upload limit before they are read. */
async function readUpload(uploads: ObjectStore, ref: AvatarUpload): Promise<Uint8Array> {
  const tooBig = () => new AppError('payload_too_large', `the image is larger than ${AVATAR_UPLOAD_MAX_BYTES} bytes`);
  if (ref.size > AVATAR_UPLOAD_MAX_BYTES) throw tooBig();
  const info = await uploads.info(ref.object);
  if (!info || info.deleted) throw new AppError('bad_request', 'the upload is gone; send the image again');
  if (info.size > AVATAR_UPLOAD_MAX_BYTES) throw tooBig();
  const bytes = await uploads.getBlob(ref.object);
  if (!bytes || bytes.length !== ref.size) throw new AppError('bad_request', 'the upload is incomplete; send the image again');
  return bytes;
}
