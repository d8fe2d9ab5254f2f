/**
 * The gateway's memory of hot avatar images: least recently used first out, bounded in bytes.
 * Avatars are immutable (a key is the hash of its bytes), so an entry is never stale. Concurrent
 * misses for one key share one load: a room full of clients asking at once costs one request.
 */
export class AvatarCache {
  private readonly entries = new Map<string, Buffer>();
  private readonly loading = new Map<string, Promise<Buffer>>();
  private total = 0;

  constructor(
    readonly maxBytes: number,
    /** Larger images are served but not kept, so one cannot push out many. */
    readonly maxEntryBytes = Math.max(0, Math.floor(maxBytes / 16)),
  ) {}

  get(key: string): Buffer | undefined {
    const value = this.entries.get(key);
    if (value) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: Buffer): void {
    if (value.length > this.maxEntryBytes) return;
    this.remove(key);
    this.entries.set(key, value);
    this.total += value.length;
    for (const [oldest, bytes] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.total -= bytes.length;
    }
  }

  /** The cached value, or `load()`'s (kept when it succeeds; a failure is not remembered). */
  async getOrLoad(key: string, load: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.get(key);
    if (hit) return hit;
    const pending = this.loading.get(key);
    if (pending) return pending;
    const started = load().then((value) => {
      this.set(key, value);
      return value;
    });
    this.loading.set(key, started);
    try {
      return await started;
    } finally {
      this.loading.delete(key);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.total;
  }

  private remove(key: string): void {
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.total -= old.length;
    }
  }
}
