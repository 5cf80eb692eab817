// Hot blobs kept in memory, in two tiers, each bounded by total bytes (lru-cache's maxSize). Blobs are immutable
// (named by digest), so an entry never goes stale; it only ages out.
//
// - small (up to maxObjectBytes, 1 MiB + 64 KiB by default): loaded on the first read, as most hits are small.
// - large (up to largeMaxObjectBytes, 32 MiB): a big blob is streamed from disk, and loaded into memory only on a read
//   that finds it was read before (a doorkeeper of recent digests: one-time reads never take memory), one load at a
//   time. Node cannot sendfile: from disk, every byte crosses the thread pool and user space twice. In the bench,
//   16 MiB from disk reached 0.55-0.62x nginx (node:http itself 0.65-0.68x streaming from disk), while node:http
//   answering from memory reached 1.35-1.42x nginx: a CDN's hot big objects belong in memory, as in Varnish's.
// A separate budget keeps one 16 MiB object from evicting 16,000 small ones.
import { LRUCache } from 'lru-cache';

export interface HotLimits {
  /** the small tier's budget (0: no small tier) */
  readonly maxBytes: number;
  /** largest blob the small tier takes */
  readonly maxObjectBytes: number;
  /** the large tier's budget (0: no large tier) */
  readonly largeMaxBytes: number;
  /** largest blob the large tier takes */
  readonly largeMaxObjectBytes: number;
}

/** Pure admission rule of the small tier: small enough to be worth a copy in memory on the first read. */
export const admit = (size: number, maxObjectBytes: number, maxBytes: number): boolean =>
  size > 0 && size <= maxObjectBytes && size <= maxBytes;

/** Pure: whether a blob of this size belongs to the large tier (too big for the small one, fits the large one). */
export const isLarge = (size: number, l: HotLimits): boolean =>
  !admit(size, l.maxObjectBytes, l.maxBytes) && size > 0 && size <= l.largeMaxObjectBytes && size <= l.largeMaxBytes;

/** How many recently read large digests the doorkeeper remembers (64 bytes of key each). */
const DOORKEEPER_ENTRIES = 4096;

export class HotCache {
  private readonly small: LRUCache<string, Buffer> | undefined;
  private readonly large: LRUCache<string, Buffer> | undefined;
  /** large digests read recently and not (yet) in memory: the second read of one loads it */
  private readonly seen = new LRUCache<string, true>({ max: DOORKEEPER_ENTRIES });
  private loading: string | undefined;

  constructor(readonly limits: HotLimits) {
    const lru = (max: number): LRUCache<string, Buffer> | undefined =>
      max > 0 ? new LRUCache({ maxSize: max, sizeCalculation: (b: Buffer) => b.length }) : undefined;
    this.small = lru(limits.maxBytes);
    this.large = lru(limits.largeMaxBytes);
  }

  get(sha256: string): Buffer | undefined {
    return this.small?.get(sha256) ?? this.large?.get(sha256);
  }

  /** The small tier takes a blob of this size on its first read. */
  admits(size: number): boolean {
    return this.small !== undefined && admit(size, this.limits.maxObjectBytes, this.limits.maxBytes);
  }

  set(sha256: string, buf: Buffer): void {
    if (this.admits(buf.length)) this.small?.set(sha256, buf);
  }

  /**
   * A large blob is being read from disk: loads it into the large tier (with `load`, which must verify what it
   * returns) when it was read before and no other load runs. Resolves when done; a failed load keeps nothing.
   */
  async readLarge(sha256: string, size: number, load: () => Promise<Buffer>): Promise<void> {
    if (this.large === undefined || !isLarge(size, this.limits) || this.large.has(sha256)) return;
    if (!this.seen.has(sha256)) return void this.seen.set(sha256, true);
    if (this.loading !== undefined) return; // one at a time: at most one extra large Buffer in flight
    this.loading = sha256;
    try {
      const buf = await load();
      if (buf.length === size) {
        this.large.set(sha256, buf);
        this.seen.delete(sha256);
      }
    } finally {
      this.loading = undefined;
    }
  }

  get bytes(): number {
    return (this.small?.calculatedSize ?? 0) + (this.large?.calculatedSize ?? 0);
  }
}
