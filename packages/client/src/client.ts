import type { BackoffOptions } from './backoff.ts';
import { Connection, type ConnectionOptions } from './connection.ts';
import { HistoryPager } from './history.ts';
import { ApiError, Http, nextCursor, type FetchLike } from './http.ts';
import { newClientMsgId } from './ids.ts';
import type { Room, RoomOptions } from './room.ts';
import type {
  CreateRoomRequest,
  ChangeFrame,
  ChangesParams,
  HistoryParams,
  InvitationView,
  MemberView,
  MembershipResponse,
  MessageView,
  MyRoomView,
  PatchUserRequest,
  PostAccepted,
  PresenceResponse,
  RegisterRequest,
  RegisterResponse,
  RoomView,
  UserView,
} from './wire.ts';
import type { WebSocketCtor } from './ws-transport.ts';

/** Who the client acts as: the user, and in AUTH_MODE=token the session token that speaks for them. */
export interface Session {
  userId: string;
  token?: string | undefined;
}

export interface ChatClientOptions {
  /** The gateway, e.g. `http://127.0.0.1:8080`; in a browser it defaults to the page's origin. */
  baseUrl?: string | undefined;
  session?: Session | null | undefined;
  fetch?: FetchLike | undefined;
  /** In Node 20 (no global WebSocket) pass one, e.g. the `ws` package's; without one, the connection long-polls. */
  WebSocket?: WebSocketCtor | undefined;
  /** How the live connection behaves (transport, backoff, heartbeat); see `ConnectionOptions`. */
  connection?: ConnectionOptions | undefined;
  /** Backoff between retries of a request that is safe to repeat. */
  retry?: BackoffOptions | undefined;
}

/** An image to upload: a `File`/`Blob` (its `type` is sent), or bytes with a content type. */
export type AvatarFile = Blob | { bytes: ArrayBuffer | Uint8Array; type: string };

/** Registration succeeded but the avatar upload did not: the session is kept, the upload can be retried. */
export class AvatarUploadError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly registered: RegisterResponse,
  ) {
    super(`registered, but the avatar was not saved: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'AvatarUploadError';
  }
}

export type PostResult = MessageView | PostAccepted;

/** One page of a list, and the cursor of the next one (undefined on the last page). */
export interface Page<T> {
  items: T[];
  /** Pass as `before` for the next page (from the `X-Next-Before` header). */
  nextBefore: number | undefined;
}

/** A page of a room's history, oldest first, with the cursors the API named for the pages around it. */
export interface HistoryPage {
  messages: MessageView[];
  /** `before` for the page of older messages; undefined when there is none. */
  nextBefore: number | undefined;
  /** `after` for the page of newer messages (answers to `after` queries); undefined when there is none. */
  nextAfter: number | undefined;
}

export interface InviteResponse {
  status: 'success';
  room_id: string;
  invitee: string;
  /** false: already invited (or a member). */
  invited: boolean;
  seq: number;
}
export interface DeclineResponse {
  status: 'success';
  room_id: string;
  user_id: string;
  /** false: there was no invitation to decline (never invited, joined, or declined already). */
  declined: boolean;
  seq: number;
}
export const isAccepted = (r: PostResult): r is PostAccepted => (r as PostAccepted).status === 'accepted';

/** Reads: a few tries. Writes the API makes idempotent: a few more, since losing one costs the user. */
const READ_ATTEMPTS = 3;
const IDEMPOTENT_WRITE_ATTEMPTS = 6;

/**
 * The public API, typed. Every route of the gateway, plus `connect()` for a live room. Requests
 * that are safe to repeat (reads, posts with their `client_msg_id`, join, leave, avatar upload)
 * are retried with backoff when no answer came or the server failed; the rest are sent once.
 */
export class ChatClient {
  readonly baseUrl: string;
  session: Session | null;
  readonly http: Http;
  readonly WebSocket: WebSocketCtor | undefined;
  private live: Connection | null = null;
  private readonly connectionOptions: ConnectionOptions;

  constructor(opts: ChatClientOptions = {}) {
    const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
    const base = opts.baseUrl ?? origin;
    if (!base) throw new Error('ChatClient: baseUrl is required outside a browser');
    this.baseUrl = base.replace(/\/+$/, '');
    this.session = opts.session ?? null;
    this.WebSocket = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    this.connectionOptions = opts.connection ?? {};
    this.http = new Http({
      baseUrl: this.baseUrl,
      fetch: opts.fetch,
      backoff: opts.retry,
      headers: (): Record<string, string> => (this.session?.token ? { authorization: `Bearer ${this.session.token}` } : {}),
    });
  }

  get userId(): string {
    if (!this.session) throw new ApiError(401, 'unauthorized', 'not signed in: register first, or pass a session');
    return this.session.userId;
  }

  // ---- users -----------------------------------------------------------------------------

  /**
   * Registers a user and signs in as them. With `avatar`, uploads it right after; if that upload
   * fails, the user stays registered and signed in and an `AvatarUploadError` says so.
   */
  async register(username: string, opts: { avatar?: AvatarFile; avatar_url?: string; user_id?: string } = {}): Promise<RegisterResponse> {
    const body: RegisterRequest = { username, avatar_url: opts.avatar_url, user_id: opts.user_id };
    const { body: registered } = await this.http.request<RegisterResponse>({ method: 'POST', path: '/users', json: body });
    this.session = { userId: registered.user.id, token: registered.token };
    if (!opts.avatar) return registered;
    try {
      return { ...registered, user: await this.uploadAvatar(opts.avatar) };
    } catch (err) {
      throw new AvatarUploadError(err, registered);
    }
  }

  async getUser(userId: string): Promise<UserView> {
    return (await this.http.request<UserView>({ method: 'GET', path: `/users/${enc(userId)}`, attempts: READ_ATTEMPTS })).body;
  }

  /** The signed-in user (`GET /me`). */
  async me(): Promise<UserView> {
    return (await this.http.request<UserView>({ method: 'GET', path: '/me', query: { user_id: this.userId }, attempts: READ_ATTEMPTS })).body;
  }

  /**
   * The user's rooms, newest activity first, each with `unread`, `read_seq` and `last_message`:
   * what a sidebar shows. `nextBefore` names the next page while more exist.
   */
  async myRooms(opts: { limit?: number; before?: number; signal?: AbortSignal } = {}): Promise<Page<MyRoomView>> {
    const { body, headers } = await this.http.request<MyRoomView[]>({
      method: 'GET',
      path: '/me/rooms',
      query: { user_id: this.userId, limit: opts.limit, before: opts.before },
      attempts: READ_ATTEMPTS,
      signal: opts.signal,
    });
    return { items: body, nextBefore: nextCursor(headers, 'before') };
  }

  /**
   * Says how far the user has read a room: the seq of the newest event shown. The marker never
   * moves back, so repeating it (or an older one) is harmless; every device gets `readMarker`.
   */
  async markRead(roomId: string, seq: number): Promise<{ room_id: string; seq: number }> {
    const json = { seq, user_id: this.userId };
    return (
      await this.http.request<{ room_id: string; seq: number }>({
        method: 'POST',
        path: `/rooms/${enc(roomId)}/read`,
        json,
        attempts: IDEMPOTENT_WRITE_ATTEMPTS,
      })
    ).body;
  }

  /** A new name, or an avatar URL (`null` goes back to the generated default avatar). */
  async updateProfile(patch: PatchUserRequest): Promise<UserView> {
    return (await this.http.request<UserView>({ method: 'PATCH', path: `/users/${enc(this.userId)}`, json: patch, attempts: IDEMPOTENT_WRITE_ATTEMPTS })).body;
  }

  /**
   * Uploads a picture (PNG, JPEG, WebP or GIF, at most 1 MiB) as the signed-in user's avatar; the
   * answer is the user with its new `avatar` URL (a 256 px WebP the server made from it).
   */
  async uploadAvatar(file: AvatarFile): Promise<UserView> {
    const isBlob = typeof Blob !== 'undefined' && file instanceof Blob;
    const body = isBlob ? file : (file as { bytes: ArrayBuffer | Uint8Array }).bytes;
    const type = (isBlob ? file.type : (file as { type: string }).type) || 'application/octet-stream';
    const { body: user } = await this.http.request<UserView>({
      method: 'PUT',
      path: `/users/${enc(this.userId)}/avatar`,
      body,
      contentType: type,
      attempts: IDEMPOTENT_WRITE_ATTEMPTS,
      timeoutMs: 60_000,
    });
    return user;
  }

  /** An avatar URL from a view, absolute: the API answers paths such as `/avatars/<key>.webp`. */
  resolve(url: string): string {
    return url.startsWith('/') ? `${this.baseUrl}${url}` : url;
  }

  // ---- rooms -----------------------------------------------------------------------------

  /** Rooms I can see (public ones, and the private ones I am in), newest activity first. */
  async listRooms(opts: { limit?: number; before?: number } = {}): Promise<RoomView[]> {
    return (await this.roomsPage(opts)).items;
  }

  /** A page of `listRooms`, with the cursor of the next one. */
  async roomsPage(opts: { limit?: number; before?: number; signal?: AbortSignal } = {}): Promise<Page<RoomView>> {
    const query = { limit: opts.limit, before: opts.before };
    const { body, headers } = await this.http.request<RoomView[]>({ method: 'GET', path: '/rooms', query, attempts: READ_ATTEMPTS, signal: opts.signal });
    return { items: body, nextBefore: nextCursor(headers, 'before') };
  }

  /**
   * Creates a room (the creator is its first member); `visibility: 'private'` makes it members
   * only, joined by invitation. With an `id` it is safe to retry (a repeat answers 409 `conflict`).
   */
  async createRoom(req: Omit<CreateRoomRequest, 'user_id'>): Promise<RoomView> {
    return (await this.http.request<RoomView>({ method: 'POST', path: '/rooms', json: req })).body;
  }

  async getRoom(roomId: string, signal?: AbortSignal): Promise<RoomView> {
    return (await this.http.request<RoomView>({ method: 'GET', path: `/rooms/${enc(roomId)}`, attempts: READ_ATTEMPTS, signal })).body;
  }

  async members(roomId: string, signal?: AbortSignal): Promise<MemberView[]> {
    return (await this.http.request<MemberView[]>({ method: 'GET', path: `/rooms/${enc(roomId)}/members`, attempts: READ_ATTEMPTS, signal })).body;
  }

  async presence(roomId: string, signal?: AbortSignal): Promise<PresenceResponse> {
    return (await this.http.request<PresenceResponse>({ method: 'GET', path: `/rooms/${enc(roomId)}/presence`, attempts: READ_ATTEMPTS, signal })).body;
  }

  /** Joins (creating the room if it does not exist); joining twice is harmless. */
  async join(roomId: string): Promise<MembershipResponse> {
    const json = { user_id: this.userId };
    return (await this.http.request<MembershipResponse>({ method: 'POST', path: `/rooms/${enc(roomId)}/join`, json, attempts: IDEMPOTENT_WRITE_ATTEMPTS }))
      .body;
  }

  async leave(roomId: string): Promise<MembershipResponse> {
    const json = { user_id: this.userId };
    return (await this.http.request<MembershipResponse>({ method: 'POST', path: `/rooms/${enc(roomId)}/leave`, json, attempts: IDEMPOTENT_WRITE_ATTEMPTS }))
      .body;
  }

  /** Invites a user to a private room (members only); they may then join it once. */
  async invite(roomId: string, userId: string): Promise<InviteResponse> {
    const json = { invitee: userId, user_id: this.userId };
    return (await this.http.request<InviteResponse>({ method: 'POST', path: `/rooms/${enc(roomId)}/invite`, json, attempts: IDEMPOTENT_WRITE_ATTEMPTS })).body;
  }

  /**
   * The invitations waiting for the signed-in user, newest first: each room's id and name, who
   * invited them, and when. `nextBefore` names the next page while more exist. Accepting one is
   * `join(room_id)`; new ones arrive live as the connection's `invited` event.
   */
  async invitations(opts: { limit?: number; before?: number; signal?: AbortSignal } = {}): Promise<Page<InvitationView>> {
    const { body, headers } = await this.http.request<InvitationView[]>({
      method: 'GET',
      path: '/me/invitations',
      query: { user_id: this.userId, limit: opts.limit, before: opts.before },
      attempts: READ_ATTEMPTS,
      signal: opts.signal,
    });
    return { items: body, nextBefore: nextCursor(headers, 'before') };
  }

  /** Turns an invitation down: it leaves the list (on every device: `invitationDeclined`); declining twice is harmless. */
  async declineInvitation(roomId: string): Promise<DeclineResponse> {
    const json = { user_id: this.userId };
    return (await this.http.request<DeclineResponse>({ method: 'POST', path: `/rooms/${enc(roomId)}/decline`, json, attempts: IDEMPOTENT_WRITE_ATTEMPTS }))
      .body;
  }

  // ---- messages --------------------------------------------------------------------------

  /**
   * A page of history, oldest first: the newest page, the page before `before`, or the page after
   * `after` (with `wait`, a long-poll for the next message).
   */
  async history(roomId: string, params: HistoryParams = {}, opts: { signal?: AbortSignal | undefined; timeoutMs?: number } = {}): Promise<MessageView[]> {
    return (await this.historyPage(roomId, params, opts)).messages;
  }

  /**
   * The room's changes after `since`, oldest first, as a socket resuming from it gets them: new
   * messages, edits and deletions of older ones, members' profile changes (with `wait`, a long-poll
   * for the next one). The next cursor is the last frame's `seq`.
   */
  async changes(roomId: string, params: ChangesParams, opts: { signal?: AbortSignal | undefined } = {}): Promise<ChangeFrame[]> {
    const { body } = await this.http.request<ChangeFrame[]>({
      method: 'GET',
      path: `/rooms/${enc(roomId)}/changes`,
      query: { ...params },
      attempts: params.wait ? 1 : READ_ATTEMPTS,
      signal: opts.signal,
      timeoutMs: params.wait ? (params.wait + 10) * 1000 : undefined,
    });
    return body;
  }

  /** `history`, with the cursors of the pages before and after it (`X-Next-Before` / `X-Next-After`). */
  async historyPage(roomId: string, params: HistoryParams = {}, opts: { signal?: AbortSignal | undefined; timeoutMs?: number } = {}): Promise<HistoryPage> {
    const { body, headers } = await this.http.request<MessageView[]>({
      method: 'GET',
      path: `/rooms/${enc(roomId)}/messages`,
      query: { ...params },
      attempts: params.wait ? 1 : READ_ATTEMPTS,
      signal: opts.signal,
      timeoutMs: opts.timeoutMs ?? (params.wait ? (params.wait + 10) * 1000 : undefined),
    });
    return { messages: body, nextBefore: nextCursor(headers, 'before'), nextAfter: nextCursor(headers, 'after') };
  }

  /**
   * Posts a message. It carries a `client_msg_id` (made here unless given), so every retry of it
   * (after a timeout, a dropped connection, a 503) is the same message: the server stores it once
   * and answers a repeat with the original. Resolves with the stored message (or, when the read
   * side is slow, `{ status: 'accepted', id, seq }`).
   */
  async post(roomId: string, content: string, opts: { clientMsgId?: string; signal?: AbortSignal | undefined; attempts?: number } = {}): Promise<PostResult> {
    const clientMsgId = opts.clientMsgId ?? newClientMsgId();
    const { body } = await this.http.request<PostResult>({
      method: 'POST',
      path: `/rooms/${enc(roomId)}/messages`,
      json: { content, client_msg_id: clientMsgId, user_id: this.userId },
      attempts: opts.attempts ?? IDEMPOTENT_WRITE_ATTEMPTS,
      signal: opts.signal,
    });
    return body;
  }

  /** Edits one's own message (setting the same text again is harmless, so retries are safe). */
  async editMessage(roomId: string, messageId: string, content: string): Promise<MessageView> {
    const json = { content, user_id: this.userId };
    const path = `/rooms/${enc(roomId)}/messages/${enc(messageId)}`;
    return (await this.http.request<MessageView>({ method: 'PATCH', path, json, attempts: IDEMPOTENT_WRITE_ATTEMPTS })).body;
  }

  /** Deletes one's own message: it keeps its place with `deleted: true` and no content. */
  async deleteMessage(roomId: string, messageId: string): Promise<MessageView> {
    const json = { user_id: this.userId };
    const path = `/rooms/${enc(roomId)}/messages/${enc(messageId)}`;
    return (await this.http.request<MessageView>({ method: 'DELETE', path, json, attempts: IDEMPOTENT_WRITE_ATTEMPTS })).body;
  }

  /** Adds an emoji to a message (adding it again is harmless); the answer is the message with its `reactions`. */
  async react(roomId: string, messageId: string, emoji: string): Promise<MessageView> {
    const path = `/rooms/${enc(roomId)}/messages/${enc(messageId)}/reactions`;
    return (await this.http.request<MessageView>({ method: 'POST', path, json: { emoji, user_id: this.userId }, attempts: IDEMPOTENT_WRITE_ATTEMPTS })).body;
  }

  /** Takes one's emoji off a message again (harmless when it is not there). */
  async unreact(roomId: string, messageId: string, emoji: string): Promise<MessageView> {
    const path = `/rooms/${enc(roomId)}/messages/${enc(messageId)}/reactions/${enc(emoji)}`;
    return (await this.http.request<MessageView>({ method: 'DELETE', path, json: { user_id: this.userId }, attempts: IDEMPOTENT_WRITE_ATTEMPTS })).body;
  }

  /** Whether the signed-in user is among those who reacted with `emoji` on `message`. */
  reacted(message: MessageView, emoji: string): boolean {
    const me = this.session?.userId;
    return me !== undefined && message.reactions.some((r) => r.emoji === emoji && r.user_ids.includes(me));
  }

  /** Pages of a room's history, newest first (`await pager.older()` until `pager.done`). */
  historyPager(roomId: string, pageSize = 50): HistoryPager {
    return new HistoryPager(this, roomId, pageSize);
  }

  // ---- live --------------------------------------------------------------------------------

  /**
   * The client's one live connection (opened on first use, and again after `disconnect()`): a
   * WebSocket that reconnects by itself, or long-polling where WebSockets do not get through.
   * While it is open the user counts as online in their rooms, whatever page they are on.
   */
  connect(): Connection {
    if (!this.live || this.live.state === 'closed') this.live = new Connection(this, this.connectionOptions);
    return this.live;
  }

  /** The live connection, if one is open. */
  get connection(): Connection | null {
    return this.live && this.live.state !== 'closed' ? this.live : null;
  }

  /**
   * Follows a room over the one connection (opening it if need be). Join the room first. Pass
   * `since` (the newest seq already shown) to get everything after it, gap-free.
   */
  subscribe(roomId: string, opts: RoomOptions = {}): Room {
    return this.connect().room(roomId, opts);
  }

  /** Closes the live connection and every room on it. */
  disconnect(): void {
    this.live?.close();
    this.live = null;
  }

  /** `ws(s)://` URL of a gateway path. */
  wsUrl(path: string, query: Record<string, string | number | undefined> = {}): string {
    return this.http.url(path, query).replace(/^http/, 'ws');
  }
}

const enc = encodeURIComponent;
