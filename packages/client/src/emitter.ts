type Listener<T> = (value: T) => void;

/**
 * A typed event emitter small enough for a browser bundle; a failing listener does not stop the
 * others. `Events` is a type alias (not an interface with an index signature), so its keys are
 * exactly the event names: `on('mesage', …)` does not compile.
 */
export class Emitter<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Adds a listener; the returned function removes it. */
  on<K extends keyof Events>(type: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  protected emit<K extends keyof Events>(type: K, value: Events[K]): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) {
      try {
        (listener as Listener<Events[K]>)(value);
      } catch (err) {
        // A bug in one listener must not break delivery to the rest, nor the connection.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
