// Many small blobs put straight into nodes' data directories (as BlobStore lays them out: blobs/ab/cd/<digest>)
// and recorded as committed content in Redis (kubecdn:content:<digest> name/version/size, as a commit writes it),
// with no node running: thousands in a second, where PUTs through a node would take minutes. For the repair and
// start-up tests and their measurements; the files are no different from what a node stores.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import pLimit from 'p-limit';
import { keys } from '../../node/src/metadata/keys.js';
import { blobFile } from './download.js';

export interface SeedOptions {
  readonly count: number;
  /** makes the contents (and so the digests) of one seeding differ from another's */
  readonly tag: string;
  /** bytes a blob (default 100) */
  readonly size?: number;
  /** the data directories that get a copy of blob `i` (none: recorded in Redis only) */
  readonly dirsFor: (sha256: string, i: number) => readonly string[];
}

const REDIS_BATCH = 1000;
const FILES_AT_ONCE = 16;

/** Pure: the bytes of seeded blob `i`. */
export function seedContent(tag: string, i: number, size = 100): Buffer {
  const b = Buffer.alloc(size, 0x2e);
  Buffer.from(`${tag}:${i}:`).copy(b);
  return b;
}

export const seedSha = (tag: string, i: number, size?: number): string =>
  createHash('sha256').update(seedContent(tag, i, size)).digest('hex');

/** Seeds `count` blobs; returns their digests, in order. */
export async function seedBlobs(redisUrl: string, opts: SeedOptions): Promise<string[]> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const limit = pLimit(FILES_AT_ONCE);
  const shas: string[] = [];
  try {
    for (let from = 0; from < opts.count; from += REDIS_BATCH) {
      const to = Math.min(opts.count, from + REDIS_BATCH);
      const p = redis.pipeline();
      const writes: Promise<void>[] = [];
      for (let i = from; i < to; i++) {
        const body = seedContent(opts.tag, i, opts.size);
        const sha = createHash('sha256').update(body).digest('hex');
        shas.push(sha);
        p.hset(keys.content(sha), { name: `seed/${opts.tag}/${i}`, version: '1', size: String(body.length) });
        writes.push(...opts.dirsFor(sha, i).map((dir) => limit(() => writeBlob(dir, sha, body))));
      }
      await Promise.all([p.exec(), ...writes]);
    }
  } finally {
    redis.disconnect();
  }
  return shas;
}

async function writeBlob(dataDir: string, sha: string, body: Buffer): Promise<void> {
  const file = blobFile(dataDir, sha);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, body);
}
