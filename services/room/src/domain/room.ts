import {
  AppError,
  type EventDraft,
  type InvitationDeclined,
  type MessagePosted,
  type RoomCreated,
  type RoomEvent,
  type UserInvited,
  type UserJoined,
  type UserLeft,
  type Visibility,
} from '@chat/contracts';

// State: a union, so "no room" cannot be mistaken for an empty room.
export type NoRoom = { status: 'none' };
export type OpenRoom = {
  status: 'open';
  id: string;
  name: string;
  createdBy: string | null;
  createdAt: string;
  visibility: Visibility;
  members: ReadonlySet<string>;
  /** Users invited into a private room who have neither joined nor declined since. */
  invited: ReadonlySet<string>;
};
export type RoomState = NoRoom | OpenRoom;

// Commands: imperative, with everything the decision needs (ids and time come from outside).
export type CreateRoom = { type: 'CreateRoom'; data: { room_id: string; name: string; user_id: string; visibility?: Visibility } };
export type InviteUser = { type: 'InviteUser'; data: { room_id: string; user_id: string; invited_by: string } };
export type DeclineInvitation = { type: 'DeclineInvitation'; data: { room_id: string; user_id: string } };
export type JoinRoom = { type: 'JoinRoom'; data: { room_id: string; user_id: string } };
export type LeaveRoom = { type: 'LeaveRoom'; data: { room_id: string; user_id: string } };
export type PostMessage = {
  type: 'PostMessage';
  data: { room_id: string; user_id: string; message_id: string; content: string; client_msg_id: string | null };
};
export type RoomCommand = CreateRoom | JoinRoom | LeaveRoom | InviteUser | DeclineInvitation | PostMessage;

export type RoomDraft = EventDraft<RoomCreated | UserJoined | UserLeft | UserInvited | InvitationDeclined | MessagePosted>;

export const initialState = (): RoomState => ({ status: 'none' });

export function evolve(state: RoomState, event: RoomEvent): RoomState {
  switch (event.type) {
    case 'RoomCreated':
      return {
        status: 'open',
        id: event.data.room_id,
        name: event.data.name,
        createdBy: event.data.created_by,
        createdAt: event.occurred_at,
        visibility: event.data.visibility,
        members: new Set(),
        invited: new Set(),
      };
    case 'UserJoined': {
      if (state.status !== 'open') return state;
      const members = new Set(state.members);
      members.add(event.data.user_id);
      if (!state.invited.has(event.data.user_id)) return { ...state, members };
      const invited = new Set(state.invited);
      invited.delete(event.data.user_id);
      return { ...state, members, invited };
    }
    case 'UserInvited': {
      if (state.status !== 'open') return state;
      const invited = new Set(state.invited);
      invited.add(event.data.user_id);
      return { ...state, invited };
    }
    case 'InvitationDeclined': {
      if (state.status !== 'open' || !state.invited.has(event.data.user_id)) return state;
      const invited = new Set(state.invited);
      invited.delete(event.data.user_id);
      return { ...state, invited };
    }
    case 'UserLeft': {
      if (state.status !== 'open') return state;
      const members = new Set(state.members);
      members.delete(event.data.user_id);
      return { ...state, members };
    }
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

export const fold = (events: readonly RoomEvent[], state: RoomState = initialState()): RoomState => events.reduce(evolve, state);

export const isMember = (state: RoomState, userId: string): boolean => state.status === 'open' && state.members.has(userId);

/** What only members do (post, react, mark as read) needs the room to exist and the user in it. */
export function requireMember(state: RoomState, roomId: string, userId: string): asserts state is OpenRoom {
  if (state.status === 'none') throw new AppError('not_found', `room ${roomId} does not exist`);
  if (!state.members.has(userId)) throw new AppError('not_member', `user ${userId} has not joined room ${roomId}`);
}

/**
 * The room exists for this user: any public room; a private one only for its members and invitees.
 * To anyone else a private room answers as a missing one does, so probing (a decline, a leave)
 * cannot tell that it exists, nor learn its sequence.
 */
function requireKnownTo(state: RoomState, roomId: string, userId: string): asserts state is OpenRoom {
  const known = state.status === 'open' && (state.visibility === 'public' || state.members.has(userId) || state.invited.has(userId));
  if (!known) throw new AppError('not_found', `room ${roomId} does not exist`);
}

/** Whether a user may read a room (history, members, presence): anyone a public one, members a private one. */
export const mayRead = (state: RoomState, userId: string | null): boolean =>
  state.status === 'open' && (state.visibility === 'public' || (userId !== null && state.members.has(userId)));

/**
 * Decides what a command means for the room. Joining and leaving are idempotent (nothing new to
 * say returns no events); joining a room that does not exist creates it, public, as the seed's
 * clients expect. A private room is joined only on an invitation, which the join uses up (or the
 * invitee declines: declining is idempotent too); its creator is its first member.
 */
export function decide(command: PostMessage, state: RoomState): EventDraft<MessagePosted>[];
export function decide(command: Exclude<RoomCommand, PostMessage>, state: RoomState): EventDraft<RoomEvent>[];
export function decide(command: RoomCommand, state: RoomState): RoomDraft[];
export function decide(command: RoomCommand, state: RoomState): RoomDraft[] {
  switch (command.type) {
    case 'CreateRoom': {
      const { room_id, name, user_id, visibility = 'public' } = command.data;
      // A private room is created in two appends; if the creator's join did not make it (the
      // client got a 503), the same creator asking again completes it: no one else could get in.
      if (state.status === 'open' && state.visibility === 'private' && state.createdBy === user_id && state.members.size === 0 && visibility === 'private') {
        return [{ type: 'UserJoined', data: { room_id, user_id } }];
      }
      if (state.status === 'open') throw new AppError('conflict', `room ${room_id} already exists`);
      const created: RoomDraft = { type: 'RoomCreated', data: { room_id, name, created_by: user_id, visibility } };
      return visibility === 'private' ? [created, { type: 'UserJoined', data: { room_id, user_id } }] : [created];
    }
    case 'JoinRoom': {
      const { room_id, user_id } = command.data;
      if (state.status === 'none') {
        return [
          { type: 'RoomCreated', data: { room_id, name: room_id, created_by: user_id, visibility: 'public' } },
          { type: 'UserJoined', data: { room_id, user_id } },
        ];
      }
      if (state.members.has(user_id)) return [];
      if (state.visibility === 'private' && !state.invited.has(user_id)) {
        throw new AppError('forbidden', `room ${room_id} is private: a member has to invite you`);
      }
      return [{ type: 'UserJoined', data: { room_id, user_id } }];
    }
    case 'InviteUser': {
      const { room_id, user_id, invited_by } = command.data;
      if (state.status === 'none') throw new AppError('not_found', `room ${room_id} does not exist`);
      if (!state.members.has(invited_by)) throw new AppError('not_member', `only members of room ${room_id} can invite`);
      if (state.visibility === 'public') throw new AppError('bad_request', `room ${room_id} is public: anyone can join it`);
      if (state.members.has(user_id) || state.invited.has(user_id)) return [];
      return [{ type: 'UserInvited', data: { room_id, user_id, invited_by, room_name: state.name } }];
    }
    case 'DeclineInvitation': {
      const { room_id, user_id } = command.data;
      requireKnownTo(state, room_id, user_id);
      // Nothing to decline (never invited, already joined, declined before): nothing to say.
      return state.invited.has(user_id) ? [{ type: 'InvitationDeclined', data: { room_id, user_id } }] : [];
    }
    case 'LeaveRoom': {
      requireKnownTo(state, command.data.room_id, command.data.user_id);
      return state.members.has(command.data.user_id) ? [{ type: 'UserLeft', data: { ...command.data } }] : [];
    }
    case 'PostMessage':
      requireMember(state, command.data.room_id, command.data.user_id);
      return [{ type: 'MessagePosted', data: { ...command.data } }];
    default: {
      const _exhaustive: never = command;
      throw new AppError('bad_request', 'unknown command');
    }
  }
}
