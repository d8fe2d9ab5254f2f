import type { StoredEvent } from '@chat/bus';
import { type InvitationsPlan, invitationsModel } from './invitations.ts';
import { type MembersPlan, membersModel } from './members.ts';
import { type MessagesPlan, messagesModel } from './messages.ts';
import { type ReadMarkersPlan, readMarkersModel } from './read-markers.ts';
import { type RoomsPlan, roomsModel } from './rooms.ts';
import { type UserRow, usersModel } from './users.ts';

export interface Plans {
  users: { upserts: UserRow[] };
  rooms: RoomsPlan;
  members: MembersPlan;
  messages: MessagesPlan;
  readMarkers: ReadMarkersPlan;
  invitations: InvitationsPlan;
}

/** Every read model's plan for a run of events, in seq order. */
export const planAll = (events: readonly StoredEvent[]): Plans => ({
  users: usersModel.plan(events),
  rooms: roomsModel.plan(events),
  members: membersModel.plan(events),
  messages: messagesModel.plan(events),
  readMarkers: readMarkersModel.plan(events),
  invitations: invitationsModel.plan(events),
});

export { invitationsModel, membersModel, messagesModel, readMarkersModel, roomsModel, usersModel };
export type { InvitationsPlan, MembersPlan, MessagesPlan, ReadMarkersPlan, RoomsPlan, UserRow };
export type { MessageChange, MessageRow } from './messages.ts';
export type { NewRoom } from './rooms.ts';
