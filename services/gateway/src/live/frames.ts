import { type ChatEvent, type InboxFrame, invitationView, type LiveFrame, type MessageFacts, memberView, messageView, type UserView } from '@chat/contracts';

export interface Author {
  username: string | null;
  avatar: string | null;
}

/** What one event means for the sockets of the room it belongs to. */
export type EventEffect =
  | { kind: 'room'; roomId: string; frames: LiveFrame[]; joined?: string; left?: string }
  | { kind: 'profile'; userId: string; seq: number }
  | { kind: 'none' };

/** The user whose name and avatar an event's frames show (its author or the member), if any. */
export function subjectUser(event: ChatEvent): string | null {
  switch (event.type) {
    case 'MessagePosted':
    case 'MessageEdited':
    case 'MessageDeleted':
    case 'UserJoined':
    case 'UserLeft':
      return event.data.user_id;
    case 'ReactionAdded':
    case 'ReactionRemoved':
      return event.data.author_id;
    default:
      return null;
  }
}

/**
 * The live frames of one event, enriched with its user's current profile. Pure: the same event
 * and profile always give the same frames, whichever gateway builds them. Every frame carries the
 * seq of the event it reports, so a client's cursor is the last frame seq it saw.
 */
export function effectOf(event: ChatEvent, seq: number, author: Author): EventEffect {
  switch (event.type) {
    case 'MessagePosted': {
      const d = event.data;
      const facts: MessageFacts = {
        id: d.message_id,
        room_id: d.room_id,
        user_id: d.user_id,
        type: 'text',
        content: d.content,
        client_msg_id: d.client_msg_id,
        created_at: event.occurred_at,
        edited_at: null,
        deleted: false,
        seq,
      };
      return { kind: 'room', roomId: d.room_id, frames: [{ type: 'message', room_id: d.room_id, message: messageView(facts, author), seq }] };
    }
    case 'UserJoined':
    case 'UserLeft': {
      const { room_id, user_id } = event.data;
      const joined = event.type === 'UserJoined';
      const line: MessageFacts = {
        id: `sys_${event.id}`,
        room_id,
        user_id,
        type: 'system',
        content: joined ? 'joined' : 'left',
        client_msg_id: null,
        created_at: event.occurred_at,
        edited_at: null,
        deleted: false,
        seq,
      };
      // The timeline line first, then the membership frame, as history has them.
      const system: LiveFrame = { type: 'message', room_id, message: messageView(line, author), seq };
      return joined
        ? {
            kind: 'room',
            roomId: room_id,
            frames: [system, { type: 'member_joined', room_id, member: memberView(user_id, event.occurred_at, author), seq }],
            joined: user_id,
          }
        : { kind: 'room', roomId: room_id, frames: [system, { type: 'member_left', room_id, user_id, seq }], left: user_id };
    }
    case 'MessageEdited':
    case 'MessageDeleted': {
      const deleted = event.type === 'MessageDeleted';
      const content = deleted ? '' : (event as Extract<ChatEvent, { type: 'MessageEdited' }>).data.content;
      return messageUpdated(event.data, { user_id: event.data.user_id, content, edited_at: event.occurred_at, deleted }, seq, author);
    }
    // The message as the event says it is after the reaction; the author is the message's, not the reactor.
    case 'ReactionAdded':
    case 'ReactionRemoved': {
      const d = event.data;
      return messageUpdated(d, { user_id: d.author_id, content: d.content, edited_at: d.edited_at, deleted: d.deleted }, seq, author);
    }
    case 'ProfileUpdated':
      return { kind: 'profile', userId: event.data.user_id, seq };
    // An invitation concerns the invitee, who is not in the room yet: nothing for its sockets
    // (the invitee's devices hear of it through the inbox: see `invitationFrame`).
    // Read markers reach the user's devices through the inbox (see inbox.ts), not a room.
    case 'RoomCreated':
    case 'UserInvited':
    case 'InvitationDeclined':
    case 'ReadMarkerMoved':
    case 'UserRegistered':
      return { kind: 'none' };
    default: {
      const _exhaustive: never = event;
      return { kind: 'none' };
    }
  }
}

/** A change to a posted message, shown as the message after it, with the change's own seq. */
function messageUpdated(
  change: {
    room_id: string;
    message_id: string;
    message_seq: number | null;
    posted_at: string | null;
    client_msg_id: string | null;
    reactions: MessageFacts['reactions'];
  },
  after: { user_id: string; content: string; edited_at: string | null; deleted: boolean },
  seq: number,
  author: Author,
): EventEffect {
  // Changes written before they named their post cannot be shown without it; they are old.
  if (change.message_seq === null || change.posted_at === null) return { kind: 'none' };
  const facts: MessageFacts = {
    id: change.message_id,
    room_id: change.room_id,
    type: 'text',
    client_msg_id: change.client_msg_id,
    created_at: change.posted_at,
    seq: change.message_seq,
    reactions: change.reactions,
    changed_seq: seq,
    ...after,
  };
  const roomId = change.room_id;
  return { kind: 'room', roomId, frames: [{ type: 'message_updated', room_id: roomId, message: messageView(facts, author), seq }] };
}

export const profileFrame = (roomId: string, user: UserView, seq: number): LiveFrame => ({ type: 'profile_updated', room_id: roomId, user, seq });

/**
 * What an invitation event tells the invitee's devices (through the inbox), with the inviter's
 * current profile: `invited`, as `GET /me/invitations` lists it, or `invitation_declined`. Pure,
 * as `effectOf`; null for every other event.
 */
export type InvitationFrame = Extract<InboxFrame, { type: 'invited' | 'invitation_declined' }>;

export function invitationFrame(event: ChatEvent, seq: number, inviter: Author): { userId: string; frame: InvitationFrame } | null {
  if (event.type === 'UserInvited') {
    const { room_id, user_id, invited_by, room_name } = event.data;
    const invitation = invitationView({ room_id, room_name, invited_by, invited_at: event.occurred_at, seq }, inviter);
    return { userId: user_id, frame: { type: 'invited', room_id, invitation, seq } };
  }
  if (event.type === 'InvitationDeclined') {
    return { userId: event.data.user_id, frame: { type: 'invitation_declined', room_id: event.data.room_id, seq } };
  }
  return null;
}
