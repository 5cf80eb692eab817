// Exponential backoff per key: base · 2^(failures−1), capped, with optional jitter. Pure bookkeeping, no timers.
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  /** 0…1: the delay is drawn from [delay·(1−jitter), delay]. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 5 * 60_000, jitter: 0.2 };

export function backoffDelayMs(failures: number, opts: BackoffOptions, random: () => number = Math.random): number {
  if (failures <= 0) return 0;
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(failures - 1, 52));
  return Math.round(exp * (1 - opts.jitter * random()));
}

/** Failure counts by key: fail() answers the next delay, succeed() forgets the key. */
export class Backoff {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly opts: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  fail(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    return backoffDelayMs(n, this.opts, this.random);
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}
