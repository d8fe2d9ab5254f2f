/** The browser's `online`/`offline` events and `navigator.onLine`, or a stand-in (tests, React Native). */
export interface NetworkWatch {
  readonly onLine: boolean;
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
}

/** The browser's network events, or null where there are none (Node). */
export function browserNetwork(): NetworkWatch | null {
  const g = globalThis as unknown as Partial<NetworkWatch> & { navigator?: { onLine?: unknown } };
  if (typeof g.addEventListener !== 'function' || typeof g.navigator?.onLine !== 'boolean') return null;
  const nav = g.navigator as { onLine: boolean };
  return {
    get onLine() {
      return nav.onLine;
    },
    addEventListener: (t, f) => g.addEventListener!(t, f),
    removeEventListener: (t, f) => g.removeEventListener!(t, f),
  };
}
