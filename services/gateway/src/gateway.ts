import { type DirectMsgRequest, jetstreamManager, type NatsConnection, nuid, openPresenceBucket, openUploadStore } from '@chat/bus';
import { ExternalAvatarUrl, isPlaceholderAvatar, messageView, type Subjects, Username } from '@chat/contracts';
import type { Logger } from '@chat/runtime';
import { type Session, Sessions } from './auth.ts';
import { externalAvatar } from './avatar-hints.ts';
import { AvatarCache } from './avatar-cache.ts';
import { AvatarUploads } from './avatar-uploads.ts';
import { GatewayContext, type LiveState } from './context.ts';
import { type Authenticator, OpenAuthenticator, TokenAuthenticator } from './edge/authenticators.ts';
import { CreationLimiter, type CreationLimits, DEFAULT_CREATION_LIMITS } from './edge/rate-limits.ts';
import { Inbox } from './inbox.ts';
import { serveNotFound, servePreflight, serveRoutes } from './edge/serve.ts';
import { MAX_SUBSCRIPTIONS, rateLimits } from './limits.ts';
import { LiveFeed } from './live/live-feed.ts';
import { ProfileDirectory } from './live/profile-directory.ts';
import { OriginPolicy } from './origins.ts';
import { PresenceTracker } from './presence.ts';
import { PREFILL_ENTRIES, RoomHub } from './room-hub.ts';
import { apiRoutes, docRoutes } from './routes/index.ts';
import { closeAll, registerSockets, type Socket, type SocketData, type SocketLimits, type SocketMetrics } from './sockets.ts';
import { type StaticSite, serveStaticSite } from './static-site.ts';
import { Anchor, loadUws, type us_listen_socket, type WebSocket } from './uws.ts';

export interface GatewayOptions {
  nc: NatsConnection;
  s: Subjects;
  log: Logger;
  /** Replicas of the buckets the gateway opens (the event stream's count). */
  replicas?: number;
  host: string;
  port: number;
  mode: 'token' | 'open';
  secret: string | undefined;
  /** An identity provider whose tokens are accepted besides ours (see `Sessions`). */
  provider?: { jwksUrl?: string | undefined; issuer?: string | undefined; audience?: string | undefined };
  allowedOrigins?: string | undefined;
  /** Addresses of proxies in front of the gateway, whose `X-Forwarded-For` is believed. */
  trustedProxies?: readonly string[];
  /** The web app to serve at `/` (see `loadStaticSite`); null: none. */
  site?: StaticSite | null;
  limits?: Partial<SocketLimits> & { postsPerSecond?: number; framesPerSecond?: number };
  creation?: Partial<CreationLimits>;
  /** Bytes of hot avatar images kept in memory (0: none). */
  avatarCacheBytes?: number;
  metrics?: SocketMetrics & {
    response?: (route: string, status: number, ms: number) => void;
    slowSocket?: () => void;
    /** A request or upgrade refused, by its error code (`rate_limited`, `unauthorized`, …). */
    refused?: (reason: string) => void;
    /** Frames handed to sockets. */
    delivered?: (frames: number) => void;
  };
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
  const sessions = new Sessions({ secret: opts.secret ?? '', ...opts.provider });
  // A provider's user seen for the first time is registered from the token's claims (fill-only).
  const firstUse = async (session: Session) => {
    const name = session.name === undefined ? undefined : Username.safeParse(session.name);
    const picture = session.picture && !isPlaceholderAvatar(session.picture) ? ExternalAvatarUrl.safeParse(session.picture) : undefined;
    await ctx.call('ensureUser', {
      user_id: session.userId,
      username: name?.success ? name.data : undefined,
      avatar: picture?.success ? { kind: 'external', url: externalAvatar(picture.data) } : undefined,
    });
  };
  const auth: Authenticator = opts.mode === 'token' ? new TokenAuthenticator(sessions, firstUse) : new OpenAuthenticator();
  const uploads = new AvatarUploads(await openUploadStore(opts.nc, opts.s, { replicas: opts.replicas }), opts.log);
  const maxSubscriptions = opts.limits?.maxSubscriptions ?? MAX_SUBSCRIPTIONS;
  const limits = rateLimits(opts.limits?.postsPerSecond, opts.limits?.framesPerSecond, maxSubscriptions);
  const jsm = await jetstreamManager(opts.nc);
  const directory = new ProfileDirectory(jsm, opts.s);
  const feed: LiveFeed = new LiveFeed(
    opts.nc,
    jsm,
    opts.s,
    (): RoomHub => hub,
    directory,
    opts.log,
    () => inbox,
  );
  // The newest event written through this gateway: a read across rooms after it waits for it.
  let written = 0;
  /** The seq of the event a direct get finds, asked of any replica (0: none, or the log cannot say now). */
  const seqOf = (query: DirectMsgRequest): Promise<number> =>
    jsm.direct.getMessage(opts.s.stream, query).then(
      (msg) => msg?.seq ?? 0,
      () => 0,
    );
  /** The seq of the last event on a subject. */
  const lastOf = (subject: string): Promise<number> => seqOf({ last_by_subj: subject });
  /**
   * The same for a filter with wildcards: the request goes in the body of the direct get (the
   * client would put `last_by_subj` in the request's subject, where a wildcard has no place).
   */
  const lastMatching = (filter: string): Promise<number> =>
    opts.nc.request(`$JS.API.DIRECT.GET.${opts.s.stream}`, JSON.stringify({ last_by_subj: filter })).then(
      (msg) => Number(msg.headers?.get('Nats-Sequence')) || 0,
      () => 0,
    );
  /**
   * The seq of the last change (edit, deletion, reaction) of any of a room's messages, if there is
   * one after `from` (0: none, or the log cannot say now). Looking forward from the feed's position
   * first keeps the common case (no change since) to a read of the log's tail; only when there is
   * one does the server look back for the last, and it finds it within that same tail.
   */
  const lastChangeAfter = async (roomId: string, from: number): Promise<number> => {
    const filter = opts.s.events.roomMessageChanges(roomId);
    const next = await seqOf({ next_by_subj: filter, seq: from + 1 });
    return next === 0 ? 0 : Math.max(next, await lastMatching(filter));
  };
  const live: LiveState = {
    head: async (roomId) => {
      // The room's membership, its posts and its messages' changes, side by side: a write through
      // another gateway counts before this gateway's feed has read it (the feed has noted every
      // change up to its position).
      const [room, posts, changes] = await Promise.all([
        lastOf(opts.s.events.room(roomId)),
        lastOf(opts.s.events.messages(roomId)),
        lastChangeAfter(roomId, feed.position),
      ]);
      return Math.max(hub.head(roomId), room, posts, changes);
    },
    position: () => Math.max(feed.position, written),
    noteWrite: (roomId, seq) => {
      written = Math.max(written, seq);
      hub.noteEvent(roomId, seq);
    },
    noteProfile: (seq) => {
      written = Math.max(written, seq);
      hub.noteProfile(seq);
    },
    noteOwnWrite: (seq) => {
      written = Math.max(written, seq);
    },
    messageView: async (m, changedSeq) => {
      const author = await directory.get(m.user_id);
      const facts = { id: m.message_id, room_id: m.room_id, user_id: m.user_id, type: 'text' as const, content: m.content, client_msg_id: m.client_msg_id };
      const shown = author.seq > 0 ? { username: author.username, avatar: author.avatar } : { username: null, avatar: null };
      return messageView(
        { ...facts, created_at: m.posted_at, edited_at: m.edited_at, deleted: m.deleted, seq: m.seq, reactions: m.reactions, changed_seq: changedSeq },
        shown,
      );
    },
  };
  const ctx = new GatewayContext(opts.nc, opts.s, auth, origins, opts.log, uploads, limits, live);
  const cache = new AvatarCache(opts.avatarCacheBytes ?? DEFAULT_AVATAR_CACHE_BYTES);
  const limiter = new CreationLimiter({ ...DEFAULT_CREATION_LIMITS, ...opts.creation });
  const sockets = new Set<WebSocket<SocketData>>();
  // The rooms' sockets leave a room through the socket layer, registered below.
  let evict: (ws: Socket, roomId: string) => void = () => undefined;
  const presence: PresenceTracker = new PresenceTracker(
    opts.nc,
    await openPresenceBucket(opts.nc, opts.s, { replicas: opts.replicas }),
    opts.s.presenceBucket,
    gatewayId,
    opts.log,
    (userId, online) => hub.presenceChanged(userId, online),
  );
  // Each user's rooms, for the sidebar frames of their multiplexed sockets (read-your-writes: a
  // room joined through this gateway a moment ago is in the list).
  const inbox: Inbox<Socket> = new Inbox<Socket>(
    async (userId) => (await ctx.call('roomIdsOf', { user_id: userId, min_position: live.position() })).room_ids,
    {
      send: (ws, frame) => {
        if (!ws.getUserData().closed) ws.send(JSON.stringify(frame));
      },
      follows: (ws, roomId) => ws.getUserData().subs.has(roomId),
    },
    opts.log,
  );
  const hub: RoomHub = new RoomHub(app, opts.nc, opts.s, opts.log, gatewayId, {
    feedPosition: () => feed.position,
    loadMembers: async (roomId) => {
      const { members, seq } = await ctx.call('roomMembers', { room_id: roomId });
      return { members, seq };
    },
    loadRecent: (roomId, minPosition) => ctx.call('recent', { room_id: roomId, limit: PREFILL_ENTRIES, min_position: minPosition }),
    isOnline: (userId) => presence.isOnline(userId),
    evict: (ws, roomId) => evict(ws, roomId),
    onSlowSocket: opts.metrics?.slowSocket,
    onDelivered: opts.metrics?.delivered,
  });
  await feed.start();
  await presence.start();

  // Every route is a spec served by one edge; adding a route is adding a spec.
  const api = apiRoutes({ ctx, cache, hub, presence });
  const routes = [...api, ...docRoutes(api, opts.mode)];
  serveRoutes(app, routes, {
    log: opts.log,
    auth,
    origins,
    limiter,
    checkPost: (userId) => ctx.checkPost(userId),
    trustedProxies: new Set(opts.trustedProxies ?? []),
    onResponse: opts.metrics?.response,
    onRefused: opts.metrics?.refused,
  });
  const anchor = new Anchor();
  anchor.register(app);
  ({ evict } = registerSockets(
    app,
    ctx,
    hub,
    presence,
    sockets,
    { opened() {}, closed() {}, frame() {}, ...opts.metrics },
    {
      maxSocketsPerUser: opts.limits?.maxSocketsPerUser ?? 16,
      typingIntervalMs: opts.limits?.typingIntervalMs ?? 1500,
      maxSubscriptions,
    },
    anchor,
    inbox,
  ));
  serveStaticSite(app, opts.site ?? null);
  servePreflight(app, origins);
  serveNotFound(app);

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(opts.host, opts.port, (socket) => (socket ? resolve(socket) : reject(new Error(`gateway cannot listen on ${opts.host}:${opts.port}`))));
  });
  const port = uws.us_socket_local_port(listenSocket);
  anchor.connectTo(port);
  opts.log.info({ port, mode: opts.mode, gatewayId, originsRestricted: origins.restricted }, 'gateway listening');

  const sweep = setInterval(() => {
    ctx.allowances.sweep(Date.now());
    limiter.sweep();
  }, 60_000).unref();
  return {
    port,
    socketCount: () => sockets.size,
    async stop() {
      clearInterval(sweep);
      anchor.stop();
      uws.us_listen_socket_close(listenSocket);
      closeAll(sockets);
      await presence.stop();
      await feed.stop();
      hub.close();
    },
    ready: () => feed.healthy && presence.healthy,
  };
}
