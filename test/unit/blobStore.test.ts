// Readers share a memory budget: the first 32 open readers read 256 KiB at a time, the rest 64 KiB, and a closed
// reader (finished or abandoned) gives its place back. Two uploads of the same bytes: the second trusts the copy only
// once the first made it durable. Real files in a real BlobStore.
import { createHash } from 'node:crypto';
import fs, { type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStore, dirsToSync, readChunkFor } from '../../node/src/storage/blobStore.js';
import { pumpBlob } from '../../node/src/storage/pump.js';
import { waitFor } from '../helpers/redis.js';

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

describe('directories to fsync after a link', () => {
  it('the leaf; with new directories, each of them and the parent of the first one made, never more', () => {
    const leaf = '/d/blobs/ab/cd';
    expect(dirsToSync(leaf, undefined)).toEqual([leaf]);
    expect(dirsToSync(leaf, leaf)).toEqual([leaf, '/d/blobs/ab']);
    expect(dirsToSync(leaf, '/d/blobs/ab')).toEqual([leaf, '/d/blobs/ab', '/d/blobs']);
    expect(dirsToSync(leaf, '/d/blobs')).toEqual([leaf, '/d/blobs/ab', '/d/blobs', '/d']);
  });
});

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

describe('fan-out directories', () => {
  /** A body whose digest starts with `prefix` (4 hex digits: its blobs/ab/cd directory): ~65k tries at most. */
  function bodyUnder(prefix: string, tag: string): Buffer {
    for (let i = 0; ; i++) {
      const b = Buffer.from(`${tag} ${i}`);
      if (createHash('sha256').update(b).digest('hex').startsWith(prefix)) return b;
    }
  }

  it('one that exists on disk but not in this process (a restart) takes a new blob, and one made here takes the next', async () => {
    const first = await store.ingest(Readable.from([Buffer.from('a blob that opens a directory')]), { maxBytes: 1024 });
    const prefix = first.sha256.slice(0, 4);
    const restarted = new BlobStore(dir); // knows of no directory
    await restarted.init();
    for (const [i, s] of [restarted, restarted].entries()) {
      const body = bodyUnder(prefix, `same directory ${i}`);
      const r = await s.ingest(Readable.from([body]), { maxBytes: 1024 });
      expect(path.dirname(s.pathOf(r.sha256))).toBe(path.dirname(store.pathOf(first.sha256)));
      expect(await fs.readFile(s.pathOf(r.sha256))).toEqual(body);
    }
  });
});

describe('an upload of bytes already on disk, while garbage collection removes them', () => {
  it('the copy an upload is placing is not removed: it is checked, dated anew and kept', async () => {
    const body = Buffer.from(`old unreferenced bytes ${Math.random()}`);
    const old = await store.ingest(Readable.from([body]), { maxBytes: 1024 });
    const file = store.pathOf(old.sha256);
    const before = await fs.stat(file);
    const past = new Date(Date.now() - 3_600_000);
    await fs.utimes(file, past, past); // an hour old: what GC removes when no version and no lease claim it
    const fresh = new BlobStore(dir); // its memo of verified copies is empty: the upload hashes the old copy first
    await fresh.init();
    const r = await fresh.receive(Readable.from([body]), { maxBytes: 1024 });
    await fresh.remove(old.sha256, body.length); // GC decided on the old mtime, before the upload touched it
    expect(await r.stored).toMatchObject({ sha256: old.sha256, created: false });
    const after = await fs.stat(file);
    expect(after.ino).toBe(before.ino); // the same copy, never unlinked (not one linked again from the upload)
    expect(after.mtimeMs).toBeGreaterThan(past.getTime() + 1000); // dated anew: GC's grace covers it again
  });
});

describe('the memo of verified copies', () => {
  it('an upload is remembered as verified with the fingerprint its file has once the temporary name is gone', async () => {
    // the stat once raced the unlink of the temporary name (which changes ctime): the memo then never matched again
    for (let i = 0; i < 40; i++) {
      const { sha256 } = await store.ingest(Readable.from([Buffer.from(`memo ${i} ${Math.random()}`)]), { maxBytes: 1024 });
      expect(store.verifiedSince(sha256, await fs.stat(store.pathOf(sha256)))).toBe(true);
    }
  });
});

describe('two uploads of the same bytes at once', () => {
  it('the one that finds the blob there answers only after the one that linked it made it durable', async () => {
    // The first upload links its copy before fsyncing it (data and directory together): until then a crash could
    // take the bytes, so the second must not report the blob stored (and let a version reference it) any earlier.
    // The first one's data fsync is held at a gate here, on the real FileHandle.
    const probe = await fs.open(path.join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync: (this: FileHandle) => Promise<void> };
    await probe.close();
    const datasync = proto.datasync;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let held = 0;
    proto.datasync = async function (this: FileHandle) {
      if (held++ === 0) await gate;
      return datasync.call(this);
    };
    try {
      const body = Buffer.from(`same bytes ${Math.random()}`);
      const order: string[] = [];
      const upload = async (): Promise<boolean> => {
        const r = await (await store.receive(Readable.from([body]), { maxBytes: 1024 })).stored;
        order.push(r.created ? 'created' : 'found');
        return r.created;
      };
      const first = upload();
      await waitFor(() => held === 1, 5000, 'the first upload at its data fsync');
      const second = upload();
      // everything the second would do on its own (verify the copy, touch it) gets ample turns of the thread pool
      for (let i = 0; i < 50; i++) await fs.stat(dir);
      expect(order).toEqual([]);
      open();
      expect(await Promise.all([first, second])).toEqual([true, false]);
      expect(order).toEqual(['created', 'found']);
    } finally {
      proto.datasync = datasync;
      open();
    }
  });
});
