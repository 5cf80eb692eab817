// What the soak run writes: content described by a 16-byte seed and a size instead of kept in memory. The bytes are
// AES-128-CTR's keystream under the seed (random-looking, never compressible, never colliding above a few bytes),
// and any slice of them can be made again without the rest: that is how a Range answer of a 4 MiB version is checked
// without holding the version. Text content (for the /read and /read_version routes, which answer UTF-8 in JSON) is
// the same keystream in lowercase hex. Pure.
import { createCipheriv, createHash } from 'node:crypto';

export interface ContentSpec {
  /** 32 hex digits: the AES-128 key */
  readonly seed: string;
  readonly size: number;
  /** hex text (ASCII) rather than raw bytes */
  readonly text: boolean;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** `n` bytes of the keystream starting at byte `offset`. */
function keystream(seed: string, offset: number, n: number): Buffer {
  const block = Math.floor(offset / 16);
  const iv = Buffer.alloc(16);
  iv.writeUIntBE(block, 10, 6); // the counter block number, big-endian (ample for any size here)
  const cipher = createCipheriv('aes-128-ctr', Buffer.from(seed, 'hex'), iv);
  const skip = offset - block * 16;
  const out = Buffer.concat([cipher.update(Buffer.alloc(skip + n)), cipher.final()]);
  return out.subarray(skip, skip + n);
}

/** Bytes [start, end) of the content. */
export function contentBytes(spec: ContentSpec, start = 0, end = spec.size): Buffer {
  const from = Math.max(0, start);
  const to = Math.min(spec.size, end);
  if (to <= from) return Buffer.alloc(0);
  if (!spec.text) return keystream(spec.seed, from, to - from);
  // text byte i is hex digit (i % 2) of keystream byte floor(i / 2)
  const first = Math.floor(from / 2);
  const hex = keystream(spec.seed, first, Math.floor((to - 1) / 2) - first + 1).toString('hex');
  const skip = from - first * 2;
  return Buffer.from(hex.slice(skip, skip + (to - from)), 'latin1');
}

export const sha256Of = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Size of a binary write: log-uniform 1 B..256 KiB, and 1-4 MiB for a `largeShare` of writes. */
export function binarySize(r1: number, r2: number, largeShare = 0.04): number {
  if (r1 < largeShare) return MiB + Math.floor(r2 * 3 * MiB);
  return Math.max(1, Math.floor(2 ** (r2 * 18)));
}

/** Size of a text write: log-uniform 1 B..16 KiB, so the first page of /read holds every text file. */
export const textSize = (r: number): number => Math.max(1, Math.floor(2 ** (r * 14)));

/**
 * Below this size random content can repeat by chance (there are only 256 one-byte files), so a duplicate or an
 * unchanged answer to a plain write of it is legitimate; above it, such an answer is a bug.
 */
export const COLLISION_FREE_BYTES = 16;
