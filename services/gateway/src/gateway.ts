import { jetstreamManager, type NatsConnection, nuid, openPresenceBucket, openUploadStore } from '@chat/bus';
import { AVATAR_JSON_BODY_MAX_BYTES, JSON_BODY_MAX_BYTES, messageView, type Subjects } from '@chat/contracts';
import type { Logger } from '@chat/runtime';
import { Tokens } from './auth.ts';
import { AvatarCache } from './avatar-cache.ts';
import { AvatarUploads } from './avatar-uploads.ts';
import { type AuthMode, GatewayContext, type LiveState } from './context.ts';
import { LiveFeed } from './live/live-feed.ts';
import { ProfileDirectory } from './live/profile-directory.ts';
import { notFound, preflight, route, type Handler, type HttpOptions } from './http.ts';
import { rateLimits } from './limits.ts';
import { OriginPolicy } from './origins.ts';
import { PresenceTracker } from './presence.ts';
import { RoomHub } from './room-hub.ts';
import { serveStaticSite, type StaticSite } from './static-site.ts';
import { avatarRoutes, avatarUploadMaxBody } from './routes/avatars.ts';
import { historyRoutes } from './routes/history.ts';
import { roomRoutes } from './routes/rooms.ts';
import { userRoutes } from './routes/users.ts';
import { closeAll, registerSockets, type SocketData, type SocketLimits, type SocketMetrics } from './sockets.ts';
import { loadUws, type WebSocket, type us_listen_socket } from './uws.ts';

export interface GatewayOptions {
  nc: NatsConnection;
  s: Subjects;
  log: Logger;
  /** Replicas of the buckets the gateway opens (the event stream's count). */
  replicas?: number;
  host: string;
  port: number;
  mode: AuthMode;
  secret: string | undefined;
  allowedOrigins?: string | undefined;
  /** The web app to serve at `/` (see `loadStaticSite`); null: none. */
  site?: StaticSite | null;
  limits?: Partial<SocketLimits> & { postsPerSecond?: number; framesPerSecond?: number };
  /** Bytes of hot avatar images kept in memory (0: none). */
  avatarCacheBytes?: number;
  metrics?: SocketMetrics & { response?: HttpOptions['onResponse']; slowSocket?: () => void };
}

/** Enough for the 256 px avatars of a few hundred active users. */
export const DEFAULT_AVATAR_CACHE_BYTES = 32 * 1024 * 1024;

export interface Gateway {
  port: number;
  socketCount(): number;
  /** Whether the live feed follows the log (readiness). */
  ready(): boolean;
  stop(): Promise<void>;
}

/** The only public surface: the HTTP API and room sockets, on uWebSockets.js. */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const uws = loadUws();
  const app = uws.App();
  const gatewayId = `gw_${nuid.next()}`;
  const origins = new OriginPolicy(opts.allowedOrigins);
  const tokens = opts.mode === 'token' ? new Tokens(opts.secret ?? '') : null;
  const uploads = new AvatarUploads(await openUploadStore(opts.nc, opts.s, { replicas: opts.replicas }), opts.log);
  const limits = rateLimits(opts.limits?.postsPerSecond, opts.limits?.framesPerSecond);
  const jsm = await jetstreamManager(opts.nc);
  const directory = new ProfileDirectory(jsm, opts.s);
  const feed: LiveFeed = new LiveFeed(opts.nc, jsm, opts.s, (): RoomHub => hub, directory, opts.log);
  const live: LiveState = {
    head: (roomId) => hub.head(roomId),
    position: () => feed.position,
    noteWrite: (roomId, seq) => hub.noteEvent(roomId, seq),
    messageView: async (m) => {
      const author = await directory.get(m.user_id);
      const facts = { id: m.message_id, room_id: m.room_id, user_id: m.user_id, type: 'text' as const, content: m.content, client_msg_id: m.client_msg_id };
      const shown = author.seq > 0 ? { username: author.username, avatar: author.avatar } : { username: null, avatar: null };
      return messageView({ ...facts, created_at: m.posted_at, edited_at: m.edited_at, deleted: m.deleted, seq: m.seq }, shown);
    },
  };
  const ctx = new GatewayContext(opts.nc, opts.s, opts.mode, tokens, origins, opts.log, uploads, limits, live);
  const cache = new AvatarCache(opts.avatarCacheBytes ?? DEFAULT_AVATAR_CACHE_BYTES);
  const http: HttpOptions = { log: opts.log, maxBody: JSON_BODY_MAX_BYTES, origins, onResponse: opts.metrics?.response };
  const sockets = new Set<WebSocket<SocketData>>();
  const hub: RoomHub = new RoomHub(
    app,
    opts.nc,
    opts.s,
    opts.log,
    gatewayId,
    (): number => feed.position,
    async (roomId) => {
      const { members, seq } = await ctx.call('roomMembers', { room_id: roomId });
      return { members, seq };
    },
    opts.metrics?.slowSocket,
  );
  await feed.start();
  const presence = new PresenceTracker(
    opts.nc,
    await openPresenceBucket(opts.nc, opts.s, { replicas: opts.replicas }),
    opts.s.presenceBucket,
    opts.log,
    (roomId, change) => {
      const skipped = hub.sendEphemeral(
        roomId,
        { type: 'presence', joined: change.joined, left: change.left, seq: change.seq },
        (ws) => !ws.getUserData().presenceReady,
      );
      for (const ws of skipped) ws.getUserData().presenceDirty = true;
    },
  );

  const users = userRoutes(ctx);
  const avatars = avatarRoutes(ctx, cache);
  const rooms = roomRoutes(ctx);
  const reads = historyRoutes(ctx, hub, presence);
  // Bodies that may carry a data: avatar get room for it; the upload route for the image itself.
  const withAvatar: Partial<HttpOptions> = { maxBody: AVATAR_JSON_BODY_MAX_BYTES };
  const routes: [Parameters<typeof route>[1], string, Handler, Partial<HttpOptions>?][] = [
    ['post', '/users', users.register!, withAvatar],
    ['get', '/users/:id', users.get!],
    ['patch', '/users/:id', users.patch!, withAvatar],
    ['put', '/users/:id/avatar', avatars.upload!, { maxBody: avatarUploadMaxBody }],
    ['get', '/avatars/default/:file', avatars.defaultAvatar!],
    ['get', '/avatars/:file', avatars.image!],
    ['get', '/rooms', rooms.list!],
    ['post', '/rooms', rooms.create!],
    ['get', '/rooms/:id', rooms.get!],
    ['get', '/rooms/:id/members', rooms.members!],
    ['get', '/rooms/:id/presence', reads.presence!],
    ['post', '/rooms/:id/join', rooms.join!, withAvatar],
    ['post', '/rooms/:id/leave', rooms.leave!],
    ['post', '/rooms/:id/messages', rooms.post!],
    ['get', '/rooms/:id/messages', reads.history!],
    ['patch', '/rooms/:id/messages/:message', rooms.editMessage!],
    ['del', '/rooms/:id/messages/:message', rooms.deleteMessage!],
    ['get', '/ping', reads.ping!],
  ];
  for (const [method, pattern, handler, own] of routes) route(app, method, pattern, handler, { ...http, ...own });
  registerSockets(app, ctx, hub, presence, sockets, opts.metrics ?? { opened() {}, closed() {}, frame() {} }, {
    maxSocketsPerUser: opts.limits?.maxSocketsPerUser ?? 16,
    typingIntervalMs: opts.limits?.typingIntervalMs ?? 1500,
  });
  serveStaticSite(app, opts.site ?? null);
  preflight(app, origins);
  notFound(app);

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(opts.host, opts.port, (socket) => (socket ? resolve(socket) : reject(new Error(`gateway cannot listen on ${opts.host}:${opts.port}`))));
  });
  const port = uws.us_socket_local_port(listenSocket);
  opts.log.info({ port, mode: opts.mode, gatewayId, originsRestricted: origins.restricted }, 'gateway listening');

  const sweep = setInterval(() => ctx.allowances.sweep(Date.now()), 60_000).unref();
  return {
    port,
    socketCount: () => sockets.size,
    async stop() {
      clearInterval(sweep);
      uws.us_listen_socket_close(listenSocket);
      closeAll(sockets);
      await presence.stop();
      await feed.stop();
      hub.close();
    },
    ready: () => feed.healthy,
  };
}
