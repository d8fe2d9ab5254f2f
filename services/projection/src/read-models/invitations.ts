import { handledBy, type ReadModel, type Timestamp, timestamp } from './types.ts';

export interface PendingInvitation {
  room_id: string;
  /** The invitee. */
  user_id: string;
  invited_by: string;
  invited_at: Timestamp;
  /** The seq of the invitation's event: the order and cursor of a user's list. */
  seq: number;
}

export interface InvitationsPlan {
  /** Invitations pending at the end of the batch that were made in it (a new one replaces an older row). */
  pending: PendingInvitation[];
  /** (room, invitee) pairs whose invitation is over at the end of the batch: the invitee joined or declined. */
  ended: { room_id: string; user_id: string }[];
}

/**
 * Invitations waiting for their invitee, as the room decider keeps them (`invited` in
 * services/room/src/domain/room.ts): a `UserInvited` makes one; the invitee's `UserJoined` uses it
 * up and `InvitationDeclined` ends it. Nothing else touches it: a leave does not (the join before
 * it ended the invitation already), so a leaver has none until invited again. The last word per
 * (room, invitee) in the batch wins. A join to a room without an invitation (public rooms) ends
 * nothing, which the delete finds out by its key.
 */
export const invitationsModel: ReadModel<InvitationsPlan> = {
  name: 'invitations',
  handles: ['UserInvited', 'UserJoined', 'InvitationDeclined'],
  plan(events) {
    const last = new Map<string, PendingInvitation | { room_id: string; user_id: string; ended: true }>();
    for (const { seq, event } of events.filter(handledBy(invitationsModel))) {
      if (event.type !== 'UserInvited' && event.type !== 'UserJoined' && event.type !== 'InvitationDeclined') continue;
      const { room_id, user_id } = event.data;
      const key = `${room_id}\u0000${user_id}`;
      if (event.type === 'UserInvited') {
        last.set(key, { room_id, user_id, invited_by: event.data.invited_by, invited_at: timestamp(event.occurred_at), seq });
      } else {
        last.set(key, { room_id, user_id, ended: true });
      }
    }
    const pending: PendingInvitation[] = [];
    const ended: InvitationsPlan['ended'] = [];
    for (const i of last.values()) {
      if ('ended' in i) ended.push({ room_id: i.room_id, user_id: i.user_id });
      else pending.push(i);
    }
    return { pending, ended };
  },
};
