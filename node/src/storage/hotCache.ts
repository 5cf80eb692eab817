// Small hot blobs kept in memory, bounded by total bytes (lru-cache's maxSize). Blobs are immutable (named by
// digest), so an entry never goes stale; it only ages out.
import { LRUCache } from 'lru-cache';

/** Pure admission rule: only blobs small enough to be worth a copy in memory. */
export const admit = (size: number, maxObjectBytes: number, maxBytes: number): boolean =>
  size > 0 && size <= maxObjectBytes && size <= maxBytes;

export class HotCache {
  private readonly lru: LRUCache<string, Buffer> | undefined;

  constructor(
    readonly maxBytes: number,
    readonly maxObjectBytes: number,
  ) {
    this.lru = maxBytes > 0 ? new LRUCache({ maxSize: maxBytes, sizeCalculation: (b: Buffer) => b.length }) : undefined;
  }

  get(sha256: string): Buffer | undefined {
    return this.lru?.get(sha256);
  }

  admits(size: number): boolean {
    return this.lru !== undefined && admit(size, this.maxObjectBytes, this.maxBytes);
  }

  set(sha256: string, buf: Buffer): void {
    if (this.admits(buf.length)) this.lru?.set(sha256, buf);
  }

  get bytes(): number {
    return this.lru?.calculatedSize ?? 0;
  }
}
