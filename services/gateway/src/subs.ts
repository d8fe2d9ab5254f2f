/**
 * The rooms one socket follows, as a map from room id to its state. Most sockets follow one room,
 * and a `Map` costs about 170 bytes even then: this keeps the first room in two fields and makes
 * a `Map` only for a socket that follows more (the multiplexed socket's per-socket cost is
 * benchmark scenario 3's).
 */
export class Subs<V> implements Iterable<[string, V]> {
  private key: string | null = null;
  private value: V | undefined = undefined;
  private more: Map<string, V> | null = null;

  get size(): number {
    return this.more ? this.more.size : this.key === null ? 0 : 1;
  }

  get(key: string): V | undefined {
    if (this.more) return this.more.get(key);
    return key === this.key ? this.value : undefined;
  }

  has(key: string): boolean {
    return this.more ? this.more.has(key) : key === this.key;
  }

  set(key: string, value: V): this {
    if (this.more) this.more.set(key, value);
    else if (this.key === null || this.key === key) {
      this.key = key;
      this.value = value;
    } else {
      this.more = new Map([
        [this.key, this.value as V],
        [key, value],
      ]);
      this.key = null;
      this.value = undefined;
    }
    return this;
  }

  delete(key: string): boolean {
    if (this.more) return this.more.delete(key);
    if (key !== this.key) return false;
    this.key = null;
    this.value = undefined;
    return true;
  }

  *keys(): IterableIterator<string> {
    for (const [key] of this) yield key;
  }

  *[Symbol.iterator](): IterableIterator<[string, V]> {
    if (this.more) yield* this.more;
    else if (this.key !== null) yield [this.key, this.value as V];
  }
}
