import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LEASE_TTL_MS, Lease } from './lease.ts';
import { type KV, TimeoutError } from './nats.ts';

/** A lease bucket of one key, whose next updates can be made to fail. */
function fakeBucket() {
  let revision = 0;
  let value: string | null = null;
  const failures: Error[] = [];
  const kv = {
    async create(_key: string, data: Uint8Array) {
      if (value !== null) throw new Error('wrong last sequence: 1');
      value = new TextDecoder().decode(data);
      return ++revision;
    },
    async update(_key: string, data: Uint8Array, expected: number) {
      const failure = failures.shift();
      if (failure) throw failure;
      if (expected !== revision) throw new Error(`wrong last sequence: ${revision}`);
      value = new TextDecoder().decode(data);
      return ++revision;
    },
    async get() {
      return value === null ? null : { revision, operation: 'PUT', string: () => value };
    },
    async delete() {
      value = null;
    },
  };
  return {
    kv: kv as unknown as KV,
    failNext: (...errors: Error[]) => failures.push(...errors),
    /** Another holder took the key over (after an expiry, say). */
    takeOver: () => {
      value = 'someone else';
      revision++;
    },
  };
}

const settled = async (p: Promise<void>) => {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await vi.advanceTimersByTimeAsync(0);
  return done;
};

describe('Lease renewal', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('given a held lease, when one renewal times out, then the lease is kept and the next renewal carries on', async () => {
    const bucket = fakeBucket();
    const lease = new Lease(async () => bucket.kv, 'k', 'me');
    const { lost } = await lease.acquire(new AbortController().signal);
    bucket.failNext(new TimeoutError());
    await vi.advanceTimersByTimeAsync(LEASE_TTL_MS / 3 + 10);
    expect(await settled(lost)).toBe(false);
    await vi.advanceTimersByTimeAsync(LEASE_TTL_MS / 3);
    expect(await settled(lost)).toBe(false);
    await lease.release();
  });

  it('given a renewal whose answer was lost (the update went through), then the lease is kept', async () => {
    const bucket = fakeBucket();
    const lease = new Lease(async () => bucket.kv, 'k', 'me');
    const { lost } = await lease.acquire(new AbortController().signal);
    // The server stored the update but the answer never came: our revision is behind, the key still names us.
    await bucket.kv.update('k', new TextEncoder().encode('me'), 1);
    await vi.advanceTimersByTimeAsync(LEASE_TTL_MS / 3 + 10);
    expect(await settled(lost)).toBe(false);
    await lease.release();
  });

  it('given renewals that time out until the lease may have expired, then it is lost', async () => {
    const bucket = fakeBucket();
    const lease = new Lease(async () => bucket.kv, 'k', 'me');
    const { lost } = await lease.acquire(new AbortController().signal);
    bucket.failNext(new TimeoutError(), new TimeoutError(), new TimeoutError(), new TimeoutError());
    await vi.advanceTimersByTimeAsync(LEASE_TTL_MS);
    expect(await settled(lost)).toBe(true);
  });

  it('given another holder took the key, when the renewal is refused, then the lease is lost at once', async () => {
    const bucket = fakeBucket();
    const lease = new Lease(async () => bucket.kv, 'k', 'me');
    const { lost } = await lease.acquire(new AbortController().signal);
    bucket.takeOver();
    await vi.advanceTimersByTimeAsync(LEASE_TTL_MS / 3 + 10);
    expect(await settled(lost)).toBe(true);
  });

  it('given a lease given up while its server was away, when the key still names this holder, then it is taken again at once', async () => {
    const bucket = fakeBucket();
    const lease = new Lease(async () => bucket.kv, 'k', 'me');
    const first = await lease.acquire(new AbortController().signal);
    // Three renewals in 10 s, each timed out: the third is past the margin.
    bucket.failNext(new TimeoutError(), new TimeoutError(), new TimeoutError());
    await vi.advanceTimersByTimeAsync(LEASE_TTL_MS);
    expect(await settled(first.lost)).toBe(true);
    let held = false;
    const again = lease.acquire(new AbortController().signal).then((r) => {
      held = true;
      return r;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(held).toBe(true);
    expect(await settled((await again).lost)).toBe(false);
    await lease.release();
  });

  it('given the key held by another holder, when acquiring, then it waits', async () => {
    const bucket = fakeBucket();
    bucket.takeOver();
    const lease = new Lease(async () => bucket.kv, 'k', 'me');
    const stop = new AbortController();
    let held = false;
    const acquired = lease.acquire(stop.signal).then(() => {
      held = true;
    });
    await vi.advanceTimersByTimeAsync(LEASE_TTL_MS);
    expect(held).toBe(false);
    stop.abort();
    await vi.advanceTimersByTimeAsync(LEASE_TTL_MS);
    await acquired;
  });
});
