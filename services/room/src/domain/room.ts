import { AppError, type EventDraft, type MessagePosted, type RoomEvent, type RoomCreated, type UserJoined, type UserLeft } from '@chat/contracts';

// State: a union, so "no room" cannot be mistaken for an empty room.
export type NoRoom = { status: 'none' };
export type OpenRoom = {
  status: 'open';
  id: string;
  name: string;
  createdBy: string | null;
  createdAt: string;
  members: ReadonlySet<string>;
};
export type RoomState = NoRoom | OpenRoom;

// Commands: imperative, with everything the decision needs (ids and time come from outside).
export type CreateRoom = { type: 'CreateRoom'; data: { room_id: string; name: string; user_id: string } };
export type JoinRoom = { type: 'JoinRoom'; data: { room_id: string; user_id: string } };
export type LeaveRoom = { type: 'LeaveRoom'; data: { room_id: string; user_id: string } };
export type PostMessage = {
  type: 'PostMessage';
  data: { room_id: string; user_id: string; message_id: string; content: string; client_msg_id: string | null };
};
export type RoomCommand = CreateRoom | JoinRoom | LeaveRoom | PostMessage;

export type RoomDraft = EventDraft<RoomCreated | UserJoined | UserLeft | MessagePosted>;

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
        members: new Set(),
      };
    case 'UserJoined': {
      if (state.status !== 'open') return state;
      const members = new Set(state.members);
      members.add(event.data.user_id);
      return { ...state, members };
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

/**
 * Decides what a command means for the room. Joining and leaving are idempotent (nothing new to
 * say returns no events); joining a room that does not exist creates it, as the seed's clients expect.
 */
export function decide(command: PostMessage, state: RoomState): EventDraft<MessagePosted>[];
export function decide(command: Exclude<RoomCommand, PostMessage>, state: RoomState): EventDraft<RoomEvent>[];
export function decide(command: RoomCommand, state: RoomState): RoomDraft[];
export function decide(command: RoomCommand, state: RoomState): RoomDraft[] {
  switch (command.type) {
    case 'CreateRoom': {
      if (state.status === 'open') throw new AppError('conflict', `room ${command.data.room_id} already exists`);
      return [{ type: 'RoomCreated', data: { room_id: command.data.room_id, name: command.data.name, created_by: command.data.user_id } }];
    }
    case 'JoinRoom': {
      const { room_id, user_id } = command.data;
      if (state.status === 'none') {
        return [
          { type: 'RoomCreated', data: { room_id, name: room_id, created_by: user_id } },
          { type: 'UserJoined', data: { room_id, user_id } },
        ];
      }
      return state.members.has(user_id) ? [] : [{ type: 'UserJoined', data: { room_id, user_id } }];
    }
    case 'LeaveRoom': {
      if (state.status === 'none') throw new AppError('not_found', `room ${command.data.room_id} does not exist`);
      return state.members.has(command.data.user_id) ? [{ type: 'UserLeft', data: { ...command.data } }] : [];
    }
    case 'PostMessage': {
      if (state.status === 'none') throw new AppError('not_found', `room ${command.data.room_id} does not exist`);
      if (!state.members.has(command.data.user_id)) {
        throw new AppError('not_member', `user ${command.data.user_id} has not joined room ${command.data.room_id}`);
      }
      return [{ type: 'MessagePosted', data: { ...command.data } }];
    }
    default: {
      const _exhaustive: never = command;
      throw new AppError('bad_request', 'unknown command');
    }
  }
}
