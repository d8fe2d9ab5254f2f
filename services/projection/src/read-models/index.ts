import type { StoredEvent } from '@chat/bus';
import { type MembersPlan, membersModel } from './members.ts';
import { type MessagesPlan, messagesModel } from './messages.ts';
import { type RoomsPlan, roomsModel } from './rooms.ts';
import { type UserRow, usersModel } from './users.ts';

export interface Plans {
  users: { upserts: UserRow[] };
  rooms: RoomsPlan;
  members: MembersPlan;
  messages: MessagesPlan;
}

/** Every read model's plan for a run of events, in seq order. */
export const planAll = (events: readonly StoredEvent[]): Plans => ({
  users: usersModel.plan(events),
  rooms: roomsModel.plan(events),
  members: membersModel.plan(events),
  messages: messagesModel.plan(events),
});

export { membersModel, messagesModel, roomsModel, usersModel };
export type { MembersPlan, MessagesPlan, RoomsPlan, UserRow };
export type { MessageChange, MessageRow } from './messages.ts';
export type { NewRoom } from './rooms.ts';
