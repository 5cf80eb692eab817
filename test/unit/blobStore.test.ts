// Readers share a memory budget: the first 32 open readers read 256 KiB at a time, the rest 64 KiB, and a closed
// reader (finished or abandoned) gives its place back. Real files in a real BlobStore.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStore, readChunkFor } from '../../node/src/storage/blobStore.js';
import { pumpBlob } from '../../node/src/storage/pump.js';

let dir: string;
let store: BlobStore;
let sha: string;
const SIZE = 1024 * 1024;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kubecdn-chunks-'));
  store = new BlobStore(dir);
  await store.init();
  sha = (await store.ingest(Readable.from([Buffer.alloc(SIZE, 7)]), { maxBytes: 2 * 1024 * 1024 })).sha256;
});
afterAll(async () => fs.rm(dir, { recursive: true, force: true }));

describe('read chunk sizes', () => {
  it('big chunks for the first 32 open streams, small ones beyond', () => {
    expect(readChunkFor(0)).toBe(256 * 1024);
    expect(readChunkFor(31)).toBe(256 * 1024);
    expect(readChunkFor(32)).toBe(64 * 1024);
    expect(readChunkFor(1000)).toBe(64 * 1024);
  });

  it('a reader gives its place back when it closes, whether read to the end or abandoned', async () => {
    const opened = [];
    for (let i = 0; i < 36; i++) opened.push(await store.openChecked(sha, SIZE));
    expect(opened.map((o) => o.pool.size)).toEqual([...Array(32).fill(256 * 1024), ...Array(4).fill(64 * 1024)]);
    // half sent to the end, half abandoned unread
    await Promise.all(opened.map(async (o, i) => (i % 2 === 0 ? pumpBlob(o, new PassThrough().resume()) : o.close())));
    const next = await store.openChecked(sha, SIZE);
    expect(next.pool.size).toBe(256 * 1024);
    await next.close();
  });
});
