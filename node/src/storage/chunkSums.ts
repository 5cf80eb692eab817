// A CRC-32 of every MiB of a blob, taken while a whole read of it passed its SHA-256 check, so that later reads of
// the same blob are checked chunk by chunk against them instead of hashed again. SHA-256 was the ceiling of large
// hits: 16 MiB at 40 req/s against nginx's 84 (bench reference, 2026-12-01), and on this machine SHA-256 runs at
// ~1,500 MiB/s on one core where zlib's CRC-32 (Node's bundled zlib: SIMD) runs at ~4,100 MiB/s (/tmp probe, 1 MiB
// buffers, 3 rounds each).
//
// What a CRC-32 still guarantees: the sums are derived from bytes that matched the blob's name, so any later read
// that differs from them differs from the named bytes. A random corruption of a chunk goes unnoticed with
// probability 2^-32; a CRC is not a defence against someone who can write the data directory (they could as well
// write anything else there). The scrub still hashes every copy with SHA-256 on its own schedule, and the first read
// of a blob after a restart (the sums live in memory only, so there is no sidecar to rot or to tear in a crash) is
// hashed in full.
import { LRUCache } from 'lru-cache';
import { ChunkCrc, SUM_CHUNK, sumCount } from './chunkCrc.js';
import { IntegrityError } from './verify.js';
import type { RunningCheck } from './offThreadHash.js';

/**
 * Checks a whole object's bytes against its sums, on this thread (a RunningCheck for pump.ts): a chunk that differs
 * fails at once, before it is sent; bytes past the size fail at once; a short object fails at the end.
 */
export function sumsCheck(sha256: string, size: number, sums: Uint32Array): RunningCheck {
  let badAt = -1;
  const crc = new ChunkCrc((i, c) => {
    if (sums[i] === c) return true;
    badAt = i;
    return false;
  });
  const wrong = (): IntegrityError => sumsDiffer(sha256, size, badAt);
  return {
    get remaining() {
      return size - crc.seen;
    },
    room: () => Promise.resolve(),
    add(buf, length, hashed) {
      if (crc.seen + length > size) return new IntegrityError(sha256, 'size', `more than ${size} bytes`);
      if (!crc.add(buf.subarray(0, length))) return wrong();
      hashed();
      return undefined;
    },
    finish() {
      if (crc.seen !== size) return Promise.resolve(new IntegrityError(sha256, 'size', `expected ${size} bytes, read ${crc.seen}`));
      return Promise.resolve(crc.end() ? undefined : wrong());
    },
    drop: () => undefined,
  };
}

/** The error for a MiB whose sum differs from the one taken when the blob was verified. */
export const sumsDiffer = (sha256: string, size: number, index: number): IntegrityError =>
  new IntegrityError(sha256, 'digest', `bytes ${index * SUM_CHUNK}-${Math.min(size, (index + 1) * SUM_CHUNK) - 1} differ from the copy verified earlier`);

/** Sums of the blobs read whole lately, bounded by bytes (lru-cache's maxSize); valid forever: a digest names its bytes. */
export class SumsMemo {
  private readonly lru: LRUCache<string, Uint32Array>;

  /** @param maxBytes what the memo holds at most, 64 B an entry counted (2 MiB: 16,384 blobs of 16 MiB, 510 of 1 GiB) */
  constructor(maxBytes = 2 * 1024 * 1024) {
    // + 64: an entry's own cost, so that many tiny blobs cannot make the bound meaningless
    this.lru = new LRUCache({ maxSize: maxBytes, sizeCalculation: (s: Uint32Array) => s.byteLength + 64 });
  }

  get(sha256: string, size: number): Uint32Array | undefined {
    const s = this.lru.get(sha256);
    return s !== undefined && s.length === sumCount(size) ? s : undefined;
  }

  set(sha256: string, sums: Uint32Array): void {
    this.lru.set(sha256, sums);
  }

  get size(): number {
    return this.lru.size;
  }

  clear(): void {
    this.lru.clear();
  }
}
