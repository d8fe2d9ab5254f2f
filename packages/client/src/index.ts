export { ChatClient, AvatarUploadError, isAccepted, type ChatClientOptions, type Session, type AvatarFile, type PostResult } from './client.ts';
export {
  RoomConnection,
  type RoomConnectionOptions,
  type RoomEvents,
  type ConnectionState,
  type Transport,
  type WebSocketLike,
  type WebSocketCtor,
} from './room-connection.ts';
export { ApiError, type FetchLike } from './http.ts';
export { Backoff, backoffDelay, RECONNECT_BACKOFF, RETRY_BACKOFF, type BackoffOptions } from './backoff.ts';
export { Cursor } from './cursor.ts';
export { Timeline, type ProfileChange } from './timeline.ts';
export { newClientMsgId } from './ids.ts';
export type {
  MessageView,
  MemberView,
  RoomView,
  UserView,
  ServerFrame,
  PostAccepted,
  MembershipResponse,
  PresenceResponse,
  RegisterResponse,
} from '@chat/contracts';
