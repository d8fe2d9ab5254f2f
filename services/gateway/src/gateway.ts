import { openUploadStore } from '@chat/bus';
import { AVATAR_JSON_BODY_MAX_BYTES, JSON_BODY_MAX_BYTES, type Subjects } from '@chat/contracts';
import type { Logger } from '@chat/runtime';
import type { NatsConnection } from 'nats';
import { Tokens } from './auth.ts';
import { AvatarCache } from './avatar-cache.ts';
import { AvatarUploads } from './avatar-uploads.ts';
import { GatewayContext, type AuthMode } from './context.ts';
import { notFound, route, type Handler, type HttpOptions } from './http.ts';
import { LiveHub, roomTopic } from './live-hub.ts';
import { avatarRoutes, avatarUploadMaxBody } from './routes/avatars.ts';
import { roomRoutes } from './routes/rooms.ts';
import { userRoutes } from './routes/users.ts';
import { closeAll, registerSockets, type SocketData, type SocketMetrics } from './sockets.ts';
import { loadUws, type WebSocket, type us_listen_socket } from './uws.ts';

export interface GatewayOptions {
  nc: NatsConnection;
  s: Subjects;
  log: Logger;
  host: string;
  port: number;
  mode: AuthMode;
  secret: string | undefined;
  /** Bytes of hot avatar images kept in memory (0: none). */
  avatarCacheBytes?: number;
  metrics?: SocketMetrics & { response?: HttpOptions['onResponse'] };
}

export interface Gateway {
  port: number;
  socketCount(): number;
  stop(): Promise<void>;
}

export const DEFAULT_AVATAR_CACHE_BYTES = 32 * 1024 * 1024;

/** The only public surface: the HTTP API and room sockets, on uWebSockets.js. */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const uws = loadUws();
  const app = uws.App();
  const tokens = opts.mode === 'token' ? new Tokens(opts.secret ?? '') : null;
  const uploads = new AvatarUploads(await openUploadStore(opts.nc, opts.s), opts.log);
  const ctx = new GatewayContext(opts.nc, opts.s, opts.mode, tokens, opts.log, uploads);
  const cache = new AvatarCache(opts.avatarCacheBytes ?? DEFAULT_AVATAR_CACHE_BYTES);
  const http: HttpOptions = { log: opts.log, maxBody: JSON_BODY_MAX_BYTES, onResponse: opts.metrics?.response };
  const sockets = new Set<WebSocket<SocketData>>();
  // Each live frame is serialised once and handed to uWS, which writes it to every socket in the room.
  const hub = new LiveHub(opts.nc, opts.s, opts.log, (roomId, _frame, raw) => {
    app.publish(roomTopic(roomId), raw, false, false);
  });

  const users = userRoutes(ctx);
  const avatars = avatarRoutes(ctx, cache);
  const rooms = roomRoutes(ctx);
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
    ['post', '/rooms/:id/join', rooms.join!, withAvatar],
    ['post', '/rooms/:id/leave', rooms.leave!],
    ['post', '/rooms/:id/messages', rooms.post!],
    ['get', '/rooms/:id/messages', rooms.history!],
  ];
  for (const [method, pattern, handler, own] of routes) route(app, method, pattern, handler, { ...http, ...own });
  registerSockets(app, ctx, hub, sockets, opts.metrics ?? { opened() {}, closed() {}, frame() {} });
  notFound(app);

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(opts.host, opts.port, (socket) => (socket ? resolve(socket) : reject(new Error(`gateway cannot listen on ${opts.host}:${opts.port}`))));
  });
  const port = uws.us_socket_local_port(listenSocket);
  opts.log.info({ port, mode: opts.mode }, 'gateway listening');

  return {
    port,
    socketCount: () => sockets.size,
    async stop() {
      uws.us_listen_socket_close(listenSocket);
      closeAll(sockets);
      hub.close();
    },
  };
}
