export {
  ChatClient,
  AvatarUploadError,
  isAccepted,
  type ChatClientOptions,
  type Session,
  type AvatarFile,
  type PostResult,
  type Page,
  type HistoryPage,
  type InviteResponse,
  type DeclineResponse,
} from './client.ts';
export {
  Connection,
  type ConnectionState,
  type ConnectionEvents,
  type ConnectionOptions,
  type RoomActivity,
  type ReadMarker,
  type Invited,
  type InvitationDeclined,
} from './connection.ts';
export type { NetworkWatch } from './network.ts';
export { Room, type RoomState, type RoomEvents, type RoomOptions, type Person, type ProfileChange } from './room.ts';
export { HistoryPager } from './history.ts';
export type { Transport, TransportEvents, TransportKind } from './transport.ts';
export { WebSocketTransport, type WebSocketLike, type WebSocketCtor } from './ws-transport.ts';
export { PollTransport } from './poll-transport.ts';
export { ApiError, nextCursor, type FetchLike } from './http.ts';
export { Backoff, backoffDelay, RECONNECT_BACKOFF, RETRY_BACKOFF, type BackoffOptions } from './backoff.ts';
export { Cursor } from './cursor.ts';
export { Timeline } from './timeline.ts';
export { newClientMsgId } from './ids.ts';
export { CloseCode, defaultAvatar } from './wire.ts';
export type {
  AvatarKind,
  CreateRoomRequest,
  ChangeFrame,
  ChangesParams,
  HistoryParams,
  InvitationView,
  MemberView,
  MembershipResponse,
  MessageView,
  MuxClientFrame,
  MyRoomView,
  Visibility,
  PatchUserRequest,
  PostAccepted,
  PresenceResponse,
  RegisterRequest,
  RegisterResponse,
  RoomView,
  ServerFrame,
  UserView,
} from './wire.ts';
