// The blob journal (node/src/storage/journal.ts) on real files: its record layout and what replay accepts, group
// commit (many concurrent records, few writes), replay at start, checkpoints (the segment dropped once the files are
// synced; the one-by-one fallback when syncfs fails), and a BlobStore that journals its small uploads and restores
// after a crash what did not survive.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BlobStore } from '../../node/src/storage/blobStore.js';
import { BlobJournal, decodeRecords, MAX_RECORD_BYTES, recordHeader, segmentName, type JournalOptions, type JournalRecord } from '../../node/src/storage/journal.js';
import { waitFor } from '../helpers/redis.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/** a record whose file is linked already */
const linked = Promise.resolve();
const record = (b: Buffer): Buffer => Buffer.concat([recordHeader(sha(b), b.length), b]);

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kubecdn-journal-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await fs.rm(dir, { recursive: true, force: true });
});

function journal(over: Partial<JournalOptions> = {}): { j: BlobJournal; errors: string[] } {
  const errors: string[] = [];
  const j = new BlobJournal({
    dir: path.join(dir, 'journal'),
    checkpointMs: 60_000,
    syncFiles: () => Promise.resolve(),
    syncEach: () => Promise.resolve(),
    onError: (_err, what) => errors.push(what),
    ...over,
  });
  return { j, errors };
}

const segments = async (): Promise<string[]> => (await fs.readdir(path.join(dir, 'journal'))).sort();
const readSegment = async (name: string): Promise<JournalRecord[]> => [...decodeRecords(await fs.readFile(path.join(dir, 'journal', name)))];

describe('records', () => {
  const blobs = [Buffer.from('one'), randomBytes(1000), Buffer.from('three')];
  const segment = Buffer.concat(blobs.map(record));

  it('decode to their digests and bytes, in order', () => {
    expect([...decodeRecords(segment)].map((r) => [r.sha256, r.bytes.toString('hex')])).toEqual(blobs.map((b) => [sha(b), b.toString('hex')]));
  });

  it('replay stops at a torn tail, at bytes that do not match their digest, and at a size no record can have', () => {
    expect([...decodeRecords(segment.subarray(0, segment.length - 2))]).toHaveLength(2);
    const rotten = Buffer.from(segment);
    rotten[40 + 3 + 40 + 10]! ^= 1; // a byte of the second record's bytes
    expect([...decodeRecords(rotten)]).toHaveLength(1);
    const huge = Buffer.concat([record(blobs[0]!), recordHeader(sha(blobs[1]!), MAX_RECORD_BYTES + 1), blobs[1]!]);
    expect([...decodeRecords(huge)]).toHaveLength(1);
  });
});

describe('group commit', () => {
  it('records queued while a write is under way share the next write; all of them are in the segment, in order', async () => {
    const { j } = journal();
    await j.start(() => Promise.resolve());
    const first = Buffer.from('opens the segment');
    await j.append(sha(first), first, linked);
    const blobs = Array.from({ length: 11 }, (_, i) => Buffer.from(`record ${i} `.repeat(i + 1)));
    // appended while the journal is busy (the first's batch, or the next one's write): they go out together, in one
    // write or two, not eleven
    await Promise.all(blobs.map((b) => j.append(sha(b), b, linked)));
    expect(j.stats.records).toBe(12);
    expect(j.stats.batches).toBeLessThanOrEqual(3);
    await j.stop();
    const [active] = await segments();
    expect((await readSegment(active!)).map((r) => r.sha256)).toEqual([first, ...blobs].map(sha));
  });

  it('an append is answered only once its record is written to the segment', async () => {
    const { j } = journal();
    await j.start(() => Promise.resolve());
    const b = Buffer.from('answered after it is written');
    const inSegment = await j.append(sha(b), b, linked).then(async () => (await readSegment((await segments())[0]!)).map((r) => r.sha256));
    expect(inSegment).toEqual([sha(b)]);
    await j.stop();
  });

  it('refuses records once stopped (the caller then syncs its file itself)', async () => {
    const { j } = journal();
    await j.start(() => Promise.resolve());
    await j.stop();
    await expect(j.append(sha(Buffer.from('late')), Buffer.from('late'), linked)).rejects.toThrow(/stopped/);
  });
});

describe('replay at start', () => {
  it('hands every sound record of the segments left behind to restore and drops them; the next record opens the next segment', async () => {
    const a = Buffer.from('left behind a');
    const b = Buffer.from('left behind b');
    await fs.mkdir(path.join(dir, 'journal'));
    await fs.writeFile(path.join(dir, 'journal', segmentName(4)), record(a));
    // the second segment ends in a record torn by the crash
    await fs.writeFile(path.join(dir, 'journal', segmentName(5)), Buffer.concat([record(b), record(Buffer.from('torn')).subarray(0, 42)]));
    // the files replay found sound may be only in the page cache (the machine did not go down): synced before the
    // segments go
    const syncedWith: string[][] = [];
    const { j } = journal({ syncFiles: async () => void syncedWith.push(await segments()) });
    const restored: string[] = [];
    expect(await j.start((r) => Promise.resolve(void restored.push(r.bytes.toString())))).toBe(2);
    expect(syncedWith).toEqual([[segmentName(4), segmentName(5)]]);
    expect(restored).toEqual([a.toString(), b.toString()]);
    expect(await segments()).toEqual([]);
    const c = Buffer.from('after the restart');
    await j.append(sha(c), c, linked);
    expect(await segments()).toEqual([segmentName(6)]);
    await j.stop();
  });
});

describe('checkpoints', () => {
  it('drop a segment once its files are synced; an idle journal then holds no segment open', async () => {
    let synced = 0;
    const { j } = journal({ checkpointMs: 50, syncFiles: () => Promise.resolve(void synced++) });
    await j.start(() => Promise.resolve());
    const first = Buffer.from('before the checkpoint');
    await j.append(sha(first), first, linked);
    await waitFor(() => j.stats.checkpoints >= 1, 5_000, 'a checkpoint');
    expect(synced).toBeGreaterThanOrEqual(1);
    expect(await segments()).toEqual([]);
    await j.stop();
  });

  it("wait for the files of their records to be linked before the syncfs that stands in for the files' fsyncs", async () => {
    const linkedAtSync: boolean[] = [];
    let fileLinked = false;
    const { j } = journal({ checkpointMs: 50, syncFiles: () => Promise.resolve(void linkedAtSync.push(fileLinked)) });
    await j.start(() => Promise.resolve());
    // a record written while its file is still being written and linked (BlobStore.placeSmall)
    let link = (): void => undefined;
    const a = Buffer.from('its file not linked yet');
    await j.append(sha(a), a, new Promise<void>((resolve) => (link = resolve)));
    // records until one lands in the next segment: the first one is closed and its checkpoint queued by then (a
    // checkpoint that did not wait would have synced before the next segment was even opened)
    let n = 0;
    await waitFor(async () => {
      const b = Buffer.from(`record ${n++}`);
      await j.append(sha(b), b, linked);
      return (await segments()).includes(segmentName(1));
    }, 5_000, 'the next segment');
    expect(linkedAtSync).toEqual([]);
    expect(await segments()).toContain(segmentName(0));
    fileLinked = true;
    link();
    await waitFor(() => j.stats.checkpoints >= 1, 5_000, 'the checkpoint');
    expect(linkedAtSync[0]).toBe(true);
    expect(await segments()).not.toContain(segmentName(0));
    await j.stop();
  });

  it('without syncfs, each file of the segment is synced one by one before the segment goes', async () => {
    const each: string[][] = [];
    const { j, errors } = journal({
      checkpointMs: 50,
      syncFiles: () => Promise.reject(new Error('no sync here')),
      syncEach: (digests) => Promise.resolve(void each.push([...digests])),
    });
    await j.start(() => Promise.resolve());
    const blobs = [Buffer.from('x1'), Buffer.from('x2')];
    await Promise.all(blobs.map((b) => j.append(sha(b), b, linked)));
    await waitFor(() => j.stats.checkpoints >= 1, 5_000, 'a checkpoint');
    expect(each).toEqual([blobs.map(sha)]);
    expect(errors.some((e) => e.includes('syncfs'))).toBe(true);
    expect(await segments()).not.toContain(segmentName(0));
    await j.stop();
  });

  it('a segment whose files could not be synced stays, for the next start to replay', async () => {
    const { j, errors } = journal({ checkpointMs: 50, syncFiles: () => Promise.reject(new Error('no')), syncEach: () => Promise.reject(new Error('EIO')) });
    await j.start(() => Promise.resolve());
    const b = Buffer.from('kept for replay');
    await j.append(sha(b), b, linked);
    await waitFor(() => errors.includes('blob journal checkpoint'), 5_000, 'a failed checkpoint');
    await j.stop();
    expect((await readSegment(segmentName(0))).map((r) => r.bytes.toString())).toEqual(['kept for replay']);
  });
});

describe('a BlobStore with the journal', () => {
  const settings = { maxBlobBytes: 1024, checkpointMs: 60_000, onError: () => undefined };

  it('journals small uploads only, and after a crash restores the small blobs whose files were lost or torn', async () => {
    const store = new BlobStore(dir, undefined, undefined, settings);
    await store.init();
    const small = Buffer.from('a small blob, journaled');
    const other = Buffer.from('another small blob, journaled, sent in three chunks');
    const large = randomBytes(4096);
    // a small body of unknown length, and one that turns out larger than it said: files with their own fsyncs
    const undeclared = Buffer.from('a small body without a declared length');
    const understated = randomBytes(2048);
    for (const b of [small, large]) await store.ingest(Readable.from([b]), { maxBytes: 1 << 20, declaredBytes: b.length });
    await store.ingest(Readable.from([other.subarray(0, 5), other.subarray(5, 20), other.subarray(20)]), { maxBytes: 1 << 20, declaredBytes: other.length });
    await store.ingest(Readable.from([undeclared]), { maxBytes: 1 << 20 });
    await store.ingest(Readable.from([understated.subarray(0, 600), understated.subarray(600)]), { maxBytes: 1 << 20, declaredBytes: 600 });
    await store.close();
    const [active] = await segments();
    expect((await readSegment(active!)).map((r) => r.sha256)).toEqual([sha(small), sha(other)]);
    for (const b of [undeclared, understated]) expect(await fs.readFile(store.pathOf(sha(b)))).toEqual(b);
    // what a machine crash can do to files that were never fsynced: gone, or cut short
    await fs.rm(store.pathOf(sha(small)));
    await fs.truncate(store.pathOf(sha(other)), 5);
    const after = new BlobStore(dir, undefined, undefined, settings);
    await after.init();
    expect(await fs.readFile(after.pathOf(sha(small)))).toEqual(small);
    expect(await fs.readFile(after.pathOf(sha(other)))).toEqual(other);
    expect(await fs.readFile(after.pathOf(sha(large)))).toEqual(large);
    expect(await segments()).toEqual([]);
    await after.close();
  });

  it('without the journal nothing is journaled, and what a journal left is still replayed', async () => {
    const journaled = new BlobStore(dir, undefined, undefined, settings);
    await journaled.init();
    const before = Buffer.from('journaled before the journal was turned off');
    await journaled.ingest(Readable.from([before]), { maxBytes: 1024, declaredBytes: before.length });
    await journaled.close();
    await fs.rm(journaled.pathOf(sha(before)));
    const store = new BlobStore(dir, undefined, undefined, { ...settings, maxBlobBytes: 0 });
    await store.init();
    expect(await fs.readFile(store.pathOf(sha(before)))).toEqual(before);
    await store.ingest(Readable.from([Buffer.from('fsynced as a file')]), { maxBytes: 1024, declaredBytes: 17 });
    await store.close();
    expect(await segments()).toEqual([]);
  });

  it('an upload of bytes already on disk journals them again (the copy may be one a crashed process never synced)', async () => {
    const store = new BlobStore(dir, undefined, undefined, settings);
    await store.init();
    const bytes = Buffer.from('linked by a process that crashed before its record');
    await fs.mkdir(path.dirname(store.pathOf(sha(bytes))), { recursive: true });
    await fs.writeFile(store.pathOf(sha(bytes)), bytes);
    expect(await store.ingest(Readable.from([bytes]), { maxBytes: 1024, declaredBytes: bytes.length })).toMatchObject({ created: false });
    await store.close();
    expect((await readSegment((await segments())[0]!)).map((r) => r.sha256)).toEqual([sha(bytes)]);
  });

  it("hands the journal a `linked` that settles only once the blob's file is in the store", async () => {
    const store = new BlobStore(dir, undefined, undefined, settings);
    await store.init();
    const append = Object.getOwnPropertyDescriptor(BlobJournal.prototype, 'append')?.value as BlobJournal['append'];
    const inStoreWhenLinked: Promise<boolean>[] = [];
    vi.spyOn(BlobJournal.prototype, 'append').mockImplementation(function (this: BlobJournal, sha256, bytes, linked) {
      inStoreWhenLinked.push(linked.then(() => existsSync(store.pathOf(sha256))));
      return append.call(this, sha256, bytes, linked);
    });
    for (const n of [1, 2, 3]) {
      const bytes = randomBytes(100 * n);
      await store.ingest(Readable.from([bytes]), { maxBytes: 1024, declaredBytes: bytes.length });
    }
    await store.close();
    expect(await Promise.all(inStoreWhenLinked)).toEqual([true, true, true]);
  });

  it('an upload finding its blob on disk fsyncs that copy unless its own journal record covers it', async () => {
    const store = new BlobStore(dir, undefined, undefined, settings);
    await store.init();
    // every datasync, by the path its handle was opened with
    const synced: string[] = [];
    const open = fs.open;
    vi.spyOn(fs, 'open').mockImplementation(async (...args: Parameters<typeof fs.open>) => {
      const fh = await open(...args);
      const datasync = fh.datasync.bind(fh);
      fh.datasync = () => datasync().then(() => void synced.push(String(args[0])));
      return fh;
    });
    const planted = async (bytes: Buffer): Promise<string> => {
      const final = store.pathOf(sha(bytes));
      await fs.mkdir(path.dirname(final), { recursive: true });
      await fs.writeFile(final, bytes); // as a crashed process may leave it: linked, never synced
      return final;
    };
    const small = Buffer.from('small, declared: its record covers the copy');
    const chunked = Buffer.from('small, but of unknown length: stored as a file, no record');
    const large = randomBytes(4096);
    const paths = { small: await planted(small), chunked: await planted(chunked), large: await planted(large) };
    await store.ingest(Readable.from([small]), { maxBytes: 1 << 20, declaredBytes: small.length });
    await store.ingest(Readable.from([chunked]), { maxBytes: 1 << 20 });
    await store.ingest(Readable.from([large]), { maxBytes: 1 << 20, declaredBytes: large.length });
    await store.close();
    expect({ small: synced.includes(paths.small), chunked: synced.includes(paths.chunked), large: synced.includes(paths.large) }).toEqual({
      small: false,
      chunked: true,
      large: true,
    });
  });
});
