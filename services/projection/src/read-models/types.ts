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
 * A moment as the event states it (`occurred_at`: ISO 8601 in UTC, checked by the event's schema),
 * handed to Postgres as it is: turning it into a `Date` and back cost more than half of what
 * writing a message row costs the writer.
 */
export type Timestamp = string;

export const handledBy = (model: { handles: readonly ChatEventType[] }) => {
  const types = new Set<string>(model.handles);
  return (e: StoredEvent): e is StoredEvent<ChatEvent> => types.has(e.event.type);
};
