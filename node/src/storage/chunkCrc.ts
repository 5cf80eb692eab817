// The running CRC-32 of each MiB of an object (chunkSums.ts says why), on its own: both threads use it, and the hash
// thread's files must run under Node's type stripping in the tests (no parameter properties, no enums).
import { crc32 } from 'node:zlib';

/** Bytes covered by one sum. One MiB: a 16 MiB blob needs 64 B of sums, a 1 GiB one 4 KiB. */
export const SUM_CHUNK = 1024 * 1024;

/**
 * Running CRC-32s of consecutive SUM_CHUNK pieces, fed bytes of any length in order. Pure apart from its own state.
 * `onSum(index, crc)` is called as each piece completes (the last, shorter one only from `end`).
 */
export class ChunkCrc {
  private running = 0;
  private inChunk = 0;
  private index = 0;
  /** bytes fed so far */
  seen = 0;

  private readonly onSum: (index: number, crc: number) => boolean;

  // (a plain field, not a parameter property: the hash thread runs this file with Node's type stripping in the tests)
  constructor(onSum: (index: number, crc: number) => boolean) {
    this.onSum = onSum;
  }

  /** Feeds bytes; false as soon as onSum refuses a piece. */
  add(bytes: Uint8Array): boolean {
    let at = 0;
    this.seen += bytes.length;
    while (at < bytes.length) {
      const take = Math.min(SUM_CHUNK - this.inChunk, bytes.length - at);
      this.running = crc32(take === bytes.length ? bytes : bytes.subarray(at, at + take), this.running);
      this.inChunk += take;
      at += take;
      if (this.inChunk === SUM_CHUNK && !this.close()) return false;
    }
    return true;
  }

  /** Completes the last, shorter piece (if any); false when onSum refuses it. */
  end(): boolean {
    return this.inChunk === 0 || this.close();
  }

  private close(): boolean {
    const ok = this.onSum(this.index++, this.running);
    this.running = 0;
    this.inChunk = 0;
    return ok;
  }
}

/** Pure: how many sums a blob of `size` bytes has. */
export const sumCount = (size: number): number => Math.ceil(size / SUM_CHUNK);

/** Pure: the index of the first sum that differs (a length difference counts), or -1. */
export function firstDifference(a: Uint32Array, b: Uint32Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** All the sums of an object of `size` bytes, taken as it is fed (the first, hashed, read of a blob). */
export class SumsTaker {
  private readonly sums: Uint32Array;
  private readonly size: number;
  private readonly crc: ChunkCrc;

  constructor(size: number) {
    const sums = new Uint32Array(sumCount(size));
    this.sums = sums;
    this.size = size;
    this.crc = new ChunkCrc((i, c) => {
      if (i >= sums.length) return false; // more bytes than the size: the size check refuses them as well
      sums[i] = c;
      return true;
    });
  }

  add(bytes: Uint8Array): void {
    this.crc.add(bytes);
  }

  /** The sums, when exactly `size` bytes were fed. */
  done(): Uint32Array | undefined {
    return this.crc.end() && this.crc.seen === this.size ? this.sums : undefined;
  }
}
