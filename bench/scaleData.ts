// What the scale section stores, decided from the file index alone. Pure: the seeder, the listing and the hot-path
// measurements all derive names, contents and prefixes from here, so a test can check them without a cluster.
//
// Each file is scale/<dir>/f<index> (about FILES_PER_DIR per dir, so a random dir is a realistic "folder" to list)
// and gets three versions: a write of its own small content (64-256 bytes, unique), a delete marker, and a revert
// to version 1. Three shapes of version record, one distinct blob per file: 1,000,000 files are 3,000,000 versions
// but 1,000,000 blobs (2,000,000 files on disk at R=2), which is what fits this machine's inodes and time.
import { createHash } from 'node:crypto';

export const SCALE_ROOT = 'scale/';
export const FILES_PER_DIR = 1000;
export const VERSIONS_PER_FILE = 3;
const MIN_BYTES = 64;
const SPREAD_BYTES = 193; // sizes 64..256

export const dirCount = (files: number): number => Math.max(1, Math.ceil(files / FILES_PER_DIR));

export const dirOf = (i: number, files: number): string => `${SCALE_ROOT}${String(i % dirCount(files)).padStart(4, '0')}/`;

export const scaleName = (i: number, files: number): string => `${dirOf(i, files)}f${String(i).padStart(7, '0')}`;

/** The content of file i: unique (its index and the run's salt are in it), 64-256 bytes. */
export function blobOf(i: number, salt: string): Buffer {
  const size = MIN_BYTES + ((i * 37) % SPREAD_BYTES);
  const head = Buffer.from(`kubecdn scale ${salt} ${i}\n`);
  const out = Buffer.alloc(size, 0x2e); // '.' filler
  head.copy(out, 0, 0, Math.min(head.length, size));
  return out;
}

export const sha256Of = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Where a blob lives under a node's DATA_DIR (the product's layout: blobs/ab/cd/<sha256>). */
export const blobRelPath = (sha256: string): string => `blobs/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;

/** `count` listing prefixes (folders), drawn with a seeded generator so runs are comparable. */
export function randomDirs(files: number, count: number, seed = 1): string[] {
  const dirs = dirCount(files);
  let x = seed >>> 0 || 1;
  const next = (): number => {
    // xorshift32: reproducible, no dependency; quality is irrelevant for picking folders
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % dirs;
  };
  return Array.from({ length: count }, () => `${SCALE_ROOT}${String(next()).padStart(4, '0')}/`);
}

/** Index ranges [from, to) of at most `size`: the seeder commits and writes one batch at a time. */
export function batches(total: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let from = 0; from < total; from += size) out.push([from, Math.min(total, from + size)]);
  return out;
}

/** The scale section's share of the plan. */
export interface ScalePlan {
  readonly files: number;
  /** first pages of random folders timed */
  readonly pages: number;
  /** the full listing stops after this long (reported incomplete) */
  readonly listingMaxS: number;
  /** unreferenced blobs planted for the GC pass */
  readonly garbage: number;
  /** files that get two more commits through the commit script (its throughput on the full store) */
  readonly commitFiles: number;
  /** bounds on the waits for a GC or scrub pass, and for the restarted node's repair pass */
  readonly maintWaitS: number;
  readonly repairWaitS: number;
}

/** --quick: 50,000 files (about a minute of seeding); full: 1,000,000; `files` overrides either. */
export function scalePlan(quick: boolean, files?: number): ScalePlan {
  return {
    files: files ?? (quick ? 50_000 : 1_000_000),
    pages: 200,
    listingMaxS: 300,
    garbage: 1000,
    commitFiles: quick ? 5000 : 20_000,
    maintWaitS: quick ? 180 : 300,
    repairWaitS: quick ? 180 : 300,
  };
}
