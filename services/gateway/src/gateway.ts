import { nuid, openPresenceBucket } from '@chat/bus';
import { JSON_BODY_MAX_BYTES, type Subjects } from '@chat/contracts';
import type { Logger } from '@chat/runtime';
import type { NatsConnection } from 'nats';
import { Tokens } from './auth.ts';
import { GatewayContext, type AuthMode } from './context.ts';
import { notFound, preflight, route, type Handler, type HttpOptions } from './http.ts';
import { rateLimits } from './limits.ts';
import { OriginPolicy } from './origins.ts';
import { PresenceTracker } from './presence.ts';
import { RoomHub } from './room-hub.ts';
import { historyRoutes } from './routes/history.ts';
import { roomRoutes } from './routes/rooms.ts';
import { userRoutes } from './routes/users.ts';
import { closeAll, registerSockets, type SocketData, type SocketLimits, type SocketMetrics } from './sockets.ts';
import { loadUws, type WebSocket, type us_listen_socket } from './uws.ts';

export interface GatewayOptions {
  nc: NatsConnection;
  s: Subjects;
  log: Logger;
  host: string;
  port: number;
  mode: AuthMode;
  secret: string | undefined;
  allowedOrigins?: string | undefined;
  limits?: Partial<SocketLimits> & { postsPerSecond?: number; framesPerSecond?: number };
  metrics?: SocketMetrics & { response?: HttpOptions['onResponse']; slowSocket?: () => void };
}

export interface Gateway {
  port: number;
  socketCount(): number;
  stop(): Promise<void>;
}

/** The only public surface: the HTTP API and room sockets, on uWebSockets.js. */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const uws = loadUws();
  const app = uws.App();
  const gatewayId = `gw_${nuid.next()}`;
  const origins = new OriginPolicy(opts.allowedOrigins);
  const tokens = opts.mode === 'token' ? new Tokens(opts.secret ?? '') : null;
  const ctx = new GatewayContext(opts.nc, opts.s, opts.mode, tokens, origins, opts.log, rateLimits(opts.limits?.postsPerSecond, opts.limits?.framesPerSecond));
  const http: HttpOptions = { log: opts.log, maxBody: JSON_BODY_MAX_BYTES, origins, onResponse: opts.metrics?.response };
  const sockets = new Set<WebSocket<SocketData>>();
  const hub = new RoomHub(app, opts.nc, opts.s, opts.log, gatewayId, opts.metrics?.slowSocket);
  const presence = new PresenceTracker(await openPresenceBucket(opts.nc, opts.s), opts.log, (roomId, change) => {
    const skipped = hub.sendEphemeral(roomId, { type: 'presence', joined: change.joined, left: change.left, seq: change.seq }, (ws) => !ws.getUserData().presenceReady);
    for (const ws of skipped) ws.getUserData().presenceDirty = true;
  });

  const users = userRoutes(ctx);
  const rooms = roomRoutes(ctx);
  const live = historyRoutes(ctx, hub, presence);
  const routes: [Parameters<typeof route>[1], string, Handler][] = [
    ['post', '/users', users.register!],
    ['get', '/users/:id', users.get!],
    ['patch', '/users/:id', users.patch!],
    ['get', '/avatars/default/:file', users.defaultAvatar!],
    ['get', '/rooms', rooms.list!],
    ['post', '/rooms', rooms.create!],
    ['get', '/rooms/:id', rooms.get!],
    ['get', '/rooms/:id/members', rooms.members!],
    ['get', '/rooms/:id/presence', live.presence!],
    ['post', '/rooms/:id/join', rooms.join!],
    ['post', '/rooms/:id/leave', rooms.leave!],
    ['post', '/rooms/:id/messages', rooms.post!],
    ['get', '/rooms/:id/messages', live.history!],
    ['get', '/ping', live.ping!],
  ];
  for (const [method, pattern, handler] of routes) route(app, method, pattern, handler, http);
  registerSockets(app, ctx, hub, presence, sockets, opts.metrics ?? { opened() {}, closed() {}, frame() {} }, {
    maxSocketsPerUser: opts.limits?.maxSocketsPerUser ?? 16,
    typingIntervalMs: opts.limits?.typingIntervalMs ?? 1500,
  });
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
      hub.close();
    },
  };
}
