import { AggregateRepository, EventStore, ensureEventStream, nuid, runCommand, serveRpc, type RequestContext } from '@chat/bus';
import { AppError, avatarKind, avatarUrl, type Subjects, type UserEvent, type UserView } from '@chat/contracts';
import { KeyedLock, type Logger } from '@chat/runtime';
import type { NatsConnection, Service } from 'nats';
import { defaultAvatarSvg } from './domain/default-avatar.ts';
import { decide, evolve, initialState, type UserCommand, type UserState } from './domain/user.ts';

export interface ProfileServiceDeps {
  nc: NatsConnection;
  s: Subjects;
  log: Logger;
  now?: () => Date;
  onRequest?: (endpoint: string, ms: number, ok: boolean) => void;
}

export function toUserView(state: UserState): UserView {
  if (state.status !== 'registered') throw new AppError('not_found', 'user does not exist');
  return { id: state.id, username: state.username, avatar: avatarUrl(state.avatar, state.id), avatar_kind: avatarKind(state.avatar) };
}

/** Users and their avatars, event-sourced on the user's subject. */
export async function startProfileService({ nc, s, log, now = () => new Date(), onRequest }: ProfileServiceDeps): Promise<Service> {
  await ensureEventStream(await nc.jetstreamManager(), s);
  const store = await EventStore.open(nc, s.stream);
  const users = new AggregateRepository<UserState, UserEvent>(store, { subject: s.events.user, initialState, evolve });
  const lock = new KeyedLock();

  const handle = (command: UserCommand, ctx: RequestContext) =>
    lock.run(command.data.user_id, () =>
      runCommand(users, command.data.user_id, (state) => decide(command, state), {
        meta: { correlation_id: ctx.correlationId, causation_id: null, actor: command.data.user_id },
        now,
      }),
    );

  return serveRpc(nc, s, { name: 'profile', version: '0.1.0', log, onRequest }, {
    registerUser: async (req, ctx) => {
      const userId = req.user_id ?? `u_${nuid.next()}`;
      const { after } = await handle({ type: 'RegisterUser', data: { user_id: userId, username: req.username, avatar: req.avatar ?? null } }, ctx);
      return { user: toUserView(after.state), seq: after.seq };
    },

    ensureUser: async (req, ctx) => {
      const { before, after } = await handle({ type: 'EnsureUser', data: { user_id: req.user_id, username: req.username, avatar: req.avatar } }, ctx);
      return { user: toUserView(after.state), created: before.state.status === 'none' };
    },

    updateUser: async (req, ctx) => {
      const { after } = await handle({ type: 'UpdateProfile', data: { user_id: req.user_id, username: req.username, avatar: req.avatar } }, ctx);
      return { user: toUserView(after.state), seq: after.seq };
    },

    getUser: async (req) => toUserView((await users.load(req.user_id)).state),

    defaultAvatar: async (req) => {
      const { state } = await users.load(req.user_id);
      if (state.status !== 'registered') throw new AppError('not_found', `user ${req.user_id} does not exist`);
      return { svg: defaultAvatarSvg(state.id, state.username) };
    },
  });
}
