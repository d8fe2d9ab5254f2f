import { AppError } from '@chat/contracts';

export interface PoolLimits {
  /** Pictures over `largePixels` decoded at once (each may hold up to `LARGE_DECODE_MB` while it does). */
  largeSlots: number;
  /** Smaller pictures decoded at once, in a lane of their own so a flood of large ones never starves them. */
  smallSlots: number;
  /** Pictures waiting in each lane; past it an upload is refused at once with 503. */
  queue: number;
  largePixels: number;
}

export const DEFAULT_POOL: PoolLimits = { largeSlots: 1, smallSlots: 2, queue: 8, largePixels: 4_000_000 };

/**
 * What one large decode may hold, measured on this service (libvips on one thread): a 40 MP
 * progressive JPEG (its whole DCT coefficient buffer) peaks at about 125-150 MB, a 40 MP PNG about
 * 70 MB. The pool's bound on memory is `largeSlots` times this, plus a few MB per small slot —
 * provided the allocator hands memory back (see `ALLOCATOR_ENV`).
 */
export const LARGE_DECODE_MB = 160;

/**
 * glibc's malloc keeps what a decode freed in per-thread arenas, and raises its mmap threshold
 * after large frees, so memory that a decode used on one libuv thread stays resident, and a flood
 * spread over four threads holds several decodes' worth for good (measured: +300 MB for 40
 * uploads). Two arenas and a fixed 1 MiB mmap threshold give it back after each decode (measured:
 * +150 MB at the peak, back to idle after). The profile service is started with these wherever we
 * start it (the image, `pnpm start`, the tests that measure it) and warns when they are missing.
 */
export const ALLOCATOR_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '1048576' } as const;

interface Job {
  deadline: number;
  stillWanted: () => Promise<boolean>;
  start: () => void;
  cancel: (err: AppError) => void;
}

const busy = () => new AppError('unavailable', 'too many pictures are being processed; try again in a moment', { retry_after: 2 });
const gone = () => new AppError('unavailable', 'the upload was abandoned before it was processed');

/**
 * A bounded pool for decoding avatars: two lanes (large and small pictures), each with a few slots
 * and a bounded queue. A picture that finds the queue full is refused at once (503 with
 * Retry-After); one whose caller has given up by the time a slot is free (its deadline passed, or
 * its staged upload removed) is dropped without being decoded.
 */
export class AvatarPool {
  private readonly running = { large: 0, small: 0 };
  private readonly waiting = { large: [] as Job[], small: [] as Job[] };

  constructor(private readonly limits: PoolLimits = DEFAULT_POOL) {}

  laneOf(pixels: number): 'large' | 'small' {
    return pixels > this.limits.largePixels ? 'large' : 'small';
  }

  get queued(): number {
    return this.waiting.large.length + this.waiting.small.length;
  }

  async run<T>(lane: 'large' | 'small', job: { deadline: number; stillWanted: () => Promise<boolean> }, task: () => Promise<T>): Promise<T> {
    if (this.running[lane] >= this.slots(lane)) {
      if (this.waiting[lane].length >= this.limits.queue) throw busy();
      await new Promise<void>((start, cancel) => this.waiting[lane].push({ ...job, start, cancel }));
    } else {
      this.running[lane]++;
    }
    try {
      if (Date.now() > job.deadline || !(await job.stillWanted())) throw gone();
      return await task();
    } finally {
      this.next(lane);
    }
  }

  private slots(lane: 'large' | 'small'): number {
    return lane === 'large' ? this.limits.largeSlots : this.limits.smallSlots;
  }

  /** Hands the slot to the next job still worth doing; jobs whose deadline passed are dropped on the way. */
  private next(lane: 'large' | 'small'): void {
    const queue = this.waiting[lane];
    for (let job = queue.shift(); job; job = queue.shift()) {
      if (Date.now() <= job.deadline) {
        job.start();
        return;
      }
      job.cancel(gone());
    }
    this.running[lane]--;
  }
}
