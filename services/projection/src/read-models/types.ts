import type { StoredEvent } from '@chat/bus';
import type { ChatEvent, ChatEventType } from '@chat/contracts';

/**
 * One read model's part of the projection: which events it reads, and what rows a run of them
 * comes to. Pure: no I/O, no clock; a Postgres writer applies the plan (`db/write-plans.ts`).
 * Plans fold a whole batch (a join then a leave of the same member is one removal), so a batch of
 * thousands of events is a few statements, and applying a plan twice leaves the rows as once.
 */
export interface ReadModel<Plan> {
  name: string;
  handles: readonly ChatEventType[];
  plan(events: readonly StoredEvent[]): Plan;
}

/**
 * A moment as the event states it (ISO 8601 in UTC, checked by the event's schema), handed to
 * Postgres as a string: turning it into a `Date` and back cost more than half of what writing a
 * message row costs the writer.
 */
export type Timestamp = string;

/**
 * An event's moment for Postgres: as it is in the services' own form (`toISOString`'s, 24
 * characters, all but every event), else through a `Date` (to the millisecond, as always): the
 * schema admits any number of fraction digits, and Postgres refuses a few hundred of them.
 */
export const timestamp = (iso: string): Timestamp => (iso.length === 24 ? iso : new Date(iso).toISOString());

export const handledBy = (model: { handles: readonly ChatEventType[] }) => {
  const types = new Set<string>(model.handles);
  return (e: StoredEvent): e is StoredEvent<ChatEvent> => types.has(e.event.type);
};
