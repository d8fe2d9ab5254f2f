import type { MessageView } from '@chat/client';

/** Messages of one author closer together than this read as one group (Slack's is similar). */
export const GROUP_GAP_MS = 5 * 60 * 1000;

/** The calendar day of a time, in the reader's time zone: the key of the day separators. */
export const dayKey = (iso: string): string => {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
};

/** Whether `m` starts a new day after `prev`: a separator goes before it. */
export const startsDay = (prev: MessageView | undefined, m: MessageView): boolean => !prev || dayKey(prev.timestamp) !== dayKey(m.timestamp);

/**
 * Whether `m` continues `prev`'s group: the same author, both plain messages, on the same day,
 * within a few minutes. A continued message shows no avatar and no name of its own.
 */
export function continues(prev: MessageView | undefined, m: MessageView): boolean {
  if (prev?.type !== 'text' || m.type !== 'text' || prev.user_id !== m.user_id) return false;
  if (startsDay(prev, m)) return false;
  const gap = Date.parse(m.timestamp) - Date.parse(prev.timestamp);
  return gap >= 0 && gap < GROUP_GAP_MS;
}
