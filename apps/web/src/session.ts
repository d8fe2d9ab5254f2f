import type { Session } from '@chat/client';

const KEY = 'chat.session';

/** The signed-in user, kept across reloads (the token is a bearer token: this device only). */
export function loadSession(): Session | null {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Session | null;
    return raw && typeof raw.userId === 'string' ? raw : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
}

const LAST_ROOM = 'chat.lastRoom';
export const lastRoom = (): string | null => sessionStorage.getItem(LAST_ROOM);
export const rememberRoom = (roomId: string): void => sessionStorage.setItem(LAST_ROOM, roomId);
