import type { z } from 'zod';
import type { CreateRoomBody, PatchUserBody, RegisterBody } from './http.ts';
import type { UserView } from './views.ts';

// The HTTP API's requests and answers as types for clients (the SDK and the web app), next to the
// schemas the gateway checks them with.

export type RegisterRequest = z.input<typeof RegisterBody>;
export interface RegisterResponse {
  user: UserView;
  /** Absent in AUTH_MODE=open. */
  token?: string;
}

export type PatchUserRequest = z.input<typeof PatchUserBody>;
export type CreateRoomRequest = z.input<typeof CreateRoomBody>;

export interface HistoryParams {
  before?: number;
  after?: number;
  limit?: number;
  /** Long-poll, with `after`: wait up to this many seconds (at most 30) for a newer message. */
  wait?: number;
}

export interface MembershipResponse {
  status: 'success';
  room_id: string;
  user_id: string;
  /** `joined` on join (false: already a member), `left` on leave (false: was not one). */
  joined?: boolean;
  left?: boolean;
  seq: number;
}

/** A post whose message the read side did not show within 2 s: it is stored, its view follows. */
export interface PostAccepted {
  status: 'accepted';
  id: string;
  room_id: string;
  seq: number;
  timestamp: string;
}
