/**
 * At most `limit` tasks at a time; the rest wait their turn in arrival order. A burst (thousands
 * of sockets reconnecting at once) then reaches the services at the rate they answer, instead
 * of all at once with most of it timing out.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new Error('limit must be at least 1');
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      // The slot passes straight to the next in line, so `running` stays as it is.
      if (next) next();
      else this.running--;
    }
  }

  get waiting(): number {
    return this.queue.length;
  }

  get active(): number {
    return this.running;
  }
}
