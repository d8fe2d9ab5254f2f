import type { ReadMarkerMoved } from '@chat/contracts';
import { handledBy, type ReadModel } from './types.ts';

export interface ReadMarkersPlan {
  /** The furthest marker per (user, room) in the batch; the writer keeps the higher of it and the stored one. */
  markers: { user_id: string; room_id: string; seq: number }[];
}

/**
 * How far each user has read each room. A marker never moves back, and never past the event that
 * moves it (a client cannot mark as read what has not been written yet), so unread counts are the
 * messages of others after it.
 */
export const readMarkersModel: ReadModel<ReadMarkersPlan> = {
  name: 'read markers',
  handles: ['ReadMarkerMoved'],
  plan(events) {
    const furthest = new Map<string, { user_id: string; room_id: string; seq: number }>();
    for (const { seq, event } of events.filter(handledBy(readMarkersModel))) {
      const { user_id, room_id, seq: marker } = (event as ReadMarkerMoved).data;
      const at = Math.min(marker, seq);
      const key = `${user_id}\u0000${room_id}`;
      if ((furthest.get(key)?.seq ?? -1) < at) furthest.set(key, { user_id, room_id, seq: at });
    }
    return { markers: [...furthest.values()] };
  },
};
