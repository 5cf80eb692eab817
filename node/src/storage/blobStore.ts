// Blobs on disk, named by their SHA-256: DATA_DIR/blobs/ab/cd/<digest>. A name from a client never reaches the
// filesystem, so there is no path to traverse. Uploads are streamed: hashed while written to DATA_DIR/tmp, then
// hard-linked into place (link fails if the blob exists, which makes "store once" atomic without a lock) and made
// durable (data and directory fsynced together) before anything may reference them.
import { createHash, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import { ApiError, apiError } from '../errors.js';
import { BufferPool } from './bufferPool.js';
import { fsyncDir, isNotFound, syncPath } from './fsSync.js';
import { BlobJournal, replayJournal, syncFilesystem, type JournalOptions, type JournalRecord } from './journal.js';
import { BUFFERS_PER_TRANSFER, type HashThread } from './offThreadHash.js';
import type { OpenBlob } from './pump.js';
import { SumsMemo } from './chunkSums.js';
import { openRead } from './openRead.js';
import { writeFully } from './batchedWrite.js';
import { UploadSink } from './uploadSink.js';
import { checkDigest, IntegrityError } from './verify.js';

export const DIGEST_RE = /^[0-9a-f]{64}$/;

// Read chunks for transfers: 256 KiB serves a lone 16 MiB download at twice the rate of 64 KiB (measured), but each
// stream holds about that much in flight, and 100 concurrent 4 MiB reads took a node from ~100 to 262 MB RSS. So the
// first 32 concurrent streams get big chunks and the rest small ones, which bounds what reads hold in memory.
const BIG_READ_CHUNK = 256 * 1024;
const SMALL_READ_CHUNK = 64 * 1024;
export const BIG_READ_STREAMS = 32;
const QUARANTINE_KEEP = 100;
const WALK_DIRS = 16;
const WALK_STATS = 32;
const stamp = (file: string): number => Number(file.split('.')[1] ?? 0);
// ctime cannot be set from user space: any write, truncate or utimes behind our back changes the fingerprint.
const fingerprint = (st: Stats): string => `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;

/** Pure: the chunk size for a new read stream, given how many are open. */
export const readChunkFor = (open: number): number => (open < BIG_READ_STREAMS ? BIG_READ_CHUNK : SMALL_READ_CHUNK);
// Idle read buffers kept for the next transfer, per size: as many as the first 32 transfers hold at once (32 MiB),
// and the same bytes of small ones. Fewer made the pool churn: buffers given back beyond its bound were dropped and
// made again, and with the hash thread each dropped one lives on until both threads collect it. 32 concurrent 16 MiB
// downloads made 1,567 buffers and peaked at 297 MB RSS with a bound of 32 big buffers; 64 and 192 MB with this one.
export const IDLE_BIG = BIG_READ_STREAMS * BUFFERS_PER_TRANSFER;
const IDLE_SMALL = (IDLE_BIG * BIG_READ_CHUNK) / SMALL_READ_CHUNK;

export { isNotFound, syncPath } from './fsSync.js';

export interface IngestOptions {
  readonly maxBytes: number;
  /** When given, the body must hash to this digest or nothing is stored (422 digest_mismatch). */
  readonly expectedSha256?: string | undefined;
  /** The body's length when known beforehand (Content-Length): a small one is journaled (see BlobStore.receive). */
  readonly declaredBytes?: number | undefined;
  /** Called once the whole body has arrived (and matched expectedSha256), before it is made durable. */
  readonly onVerified?: () => void;
}

/** Small blobs made durable by the group-committed journal (journal.ts) instead of their own fsyncs; 0: off. */
export interface JournalSettings {
  readonly maxBlobBytes: number;
  readonly checkpointMs: number;
  readonly onError: (err: unknown, what: string) => void;
  readonly onSync?: (records: number) => void;
}

export interface IngestResult {
  readonly sha256: string;
  readonly size: number;
  /** False when the blob already existed on this node (the upload was stored once, as before). */
  readonly created: boolean;
}

export interface Received {
  readonly sha256: string;
  readonly size: number;
  /** the blob linked into the store and durable (see receive) */
  readonly stored: Promise<IngestResult>;
}

export interface BlobStats {
  blobs: number;
  bytes: number;
}

export class BlobStore {
  private readonly blobsDir: string;
  private readonly tmpDir: string;
  /**
   * Uploads' temporary names: random once per process (tmp/ is cleared at start, and a second process on the same
   * DATA_DIR would still not collide; 'wx' refuses a name taken anyway), then a counter. randomBytes(8) per upload
   * was 5.4 us of the event loop here.
   */
  private readonly tmpPrefix = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
  private tmpSeq = 0;
  /** the fan-out directories (blobs/ab/cd) known to exist, a bit each: see linkInto */
  private readonly leaves = new Uint8Array(65_536 / 8);
  private readonly quarantineDir: string;
  private openReads = 0;
  private readonly bigBuffers = new BufferPool(BIG_READ_CHUNK, IDLE_BIG);
  private readonly smallBuffers = new BufferPool(SMALL_READ_CHUNK, IDLE_SMALL);
  /** readers per blob (see hold) */
  private readonly holds = new Map<string, number>();
  /** removals waiting for the last reader: digest -> size */
  private readonly doomed = new Map<string, number>();
  /** copies found bad and about to be quarantined: refused from the moment of detection (see condemn) */
  private readonly condemned = new Set<string>();
  /**
   * blobs hashed whole and found sound, with the fingerprint of the file they were then (see verifyFile). A memo for
   * the blobs in use (a Range on a verified blob needs no second pass), not an index of the store: at ~200 B an
   * entry, 100,000 of them grew the heap through a whole 10-minute soak; 10,000 stay a few MiB.
   */
  private readonly verified = new LRUCache<string, string>({ max: 10_000 });
  /** the CRC-32 sums of blobs read whole (chunkSums.ts): later whole reads are checked against them, not hashed */
  readonly sums = new SumsMemo();
  readonly stats: BlobStats = { blobs: 0, bytes: 0 };
  /**
   * Uploads being linked and made durable, by digest: a second upload of the same bytes waits for the first (until
   * then the copy on disk may not survive a crash, and nothing may reference it).
   */
  private readonly placing = new Map<string, Promise<boolean>>();
  /** blobs stored or removed while count() walks (as many as the writes during one walk), looked at again at its end */
  private touchedDuringCount: Set<string> | undefined;
  private readonly journal: BlobJournal | undefined;
  private readonly journalMax: number;
  private readonly journalDir: string;
  /** how a journal (this one, or one a previous process left) makes its files durable */
  private readonly journalSync: Pick<JournalOptions, 'syncFiles' | 'syncEach' | 'onError'>;

  /**
   * `onRotReplaced` hears of a stored copy found bad by an upload of the same bytes (which then replaces it): rot
   * nobody had read, found and fixed on the way in, which must still be counted and logged like any other.
   */
  constructor(
    dataDir: string,
    private readonly onRotReplaced: (err: IntegrityError) => void = () => undefined,
    /** where reads of large whole objects are hashed; absent: on the event loop */
    private readonly hashThread?: HashThread | undefined,
    journal?: JournalSettings,
  ) {
    this.blobsDir = path.join(dataDir, 'blobs');
    this.tmpDir = path.join(dataDir, 'tmp');
    this.quarantineDir = path.join(dataDir, 'quarantine');
    this.journalMax = journal?.maxBlobBytes ?? 0;
    this.journalDir = path.join(dataDir, 'journal');
    this.journalSync = {
      syncFiles: () => syncFilesystem(this.blobsDir),
      syncEach: (digests) => this.syncEach(digests),
      onError: journal?.onError ?? (() => undefined),
    };
    this.journal =
      journal === undefined || journal.maxBlobBytes === 0
        ? undefined
        : new BlobJournal({
            dir: this.journalDir,
            checkpointMs: journal.checkpointMs,
            ...this.journalSync,
            ...(journal.onSync && { onSync: journal.onSync }),
          });
  }

  /**
   * Creates the directories and removes uploads a crash left half-written. Nothing here grows with the number of
   * blobs (a node must be ready in seconds with a million): counting them is count()'s, in the background.
   */
  async init(): Promise<void> {
    await fs.mkdir(this.blobsDir, { recursive: true });
    await fs.rm(this.tmpDir, { recursive: true, force: true });
    await fs.mkdir(this.tmpDir, { recursive: true });
    await this.makeFirstLevels();
    // after a crash: every small blob acknowledged since the last checkpoint whose file did not survive, back (with
    // the journal off now, what it left is still replayed)
    const restore = (r: JournalRecord): Promise<void> => this.restore(r);
    await (this.journal ? this.journal.start(restore) : replayJournal(this.journalDir, restore, this.journalSync));
  }

  /** Stops the journal (its last segment is replayed by the next start). */
  async close(): Promise<void> {
    await this.journal?.stop();
  }

  /**
   * The 256 first-level fan-out directories (blobs/ab), made once at start and made durable with one fsync of blobs/.
   * Made on demand, a young store's uploads each opened one until all 256 existed (~1,500 uploads): a failed mkdir, a
   * recursive one and a third directory fsync per upload (19 thread-pool operations for a 1 KiB PUT where 14 remain).
   * 256 empty directories take 1 MiB; the 65,536 leaves would take 256 MiB and are still made on demand.
   */
  private async makeFirstLevels(): Promise<void> {
    const made = await Promise.all(
      Array.from({ length: 256 }, (_, i) =>
        fs.mkdir(path.join(this.blobsDir, i.toString(16).padStart(2, '0'))).then(
          () => true,
          (err: unknown) => {
            if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
            return false;
          },
        ),
      ),
    );
    if (made.includes(true)) await fsyncDir(this.blobsDir);
  }

  /**
   * Counts what is stored into `stats` (started after the node is ready: a million blobs take a minute to walk).
   * Stores and removals meanwhile still move `stats` as they happen; the blobs they touch are skipped by the walk and
   * looked at again at its end, so that the final figure counts each blob once. Stops early, leaving `stats` at the
   * stores and removals alone, when `signal` aborts (shutdown).
   */
  async count(signal?: AbortSignal): Promise<void> {
    const counted: BlobStats = { blobs: 0, bytes: 0 };
    const touched = new Set<string>();
    this.touchedDuringCount = touched;
    try {
      for await (const blob of this.walk()) {
        if (signal?.aborted) return;
        if (touched.has(blob.sha256)) continue;
        counted.blobs += 1;
        counted.bytes += blob.size;
      }
      for (const sha256 of touched) {
        const size = (await statIfExists(this.pathOf(sha256)))?.size;
        counted.blobs += size === undefined ? 0 : 1;
        counted.bytes += size ?? 0;
      }
      Object.assign(this.stats, counted);
    } finally {
      this.touchedDuringCount = undefined;
    }
  }

  pathOf(sha256: string): string {
    return path.join(this.blobsDir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  /** Size of the stored blob, or undefined when this node has no copy. */
  async size(sha256: string): Promise<number | undefined> {
    return (await statIfExists(this.pathOf(sha256)))?.size;
  }

  /** Streams `source` into the store. Holds at most about two write batches of it in memory (batchedWrite.ts). */
  async ingest(source: Readable | AsyncIterable<Buffer>, opts: IngestOptions): Promise<IngestResult> {
    return (await this.receive(source, opts)).stored;
  }

  /**
   * The first half of ingest: the body streamed to a temporary file, hashed and checked. `stored` is the
   * second half, already under way: the link into the store and the data and directory fsyncs, which a writer overlaps with its
   * Redis round trips (lock, state) instead of waiting for them first: one 1 KiB PUT spent ~5 ms in these steps and
   * ~3 ms in Redis, one after the other. Nothing may reference the blob before `stored` resolves; a rejection of
   * `stored` is handled here (the temporary file is removed) and again by whoever awaits it.
   *
   * A body the journal takes (`declaredBytes` <= BLOB_JOURNAL_MAX_BYTES) is kept in memory instead (bounded by that
   * limit) and written once hashed, its journal record alongside (placeSmall). One that turns out larger than declared
   * goes to the file after all.
   */
  async receive(source: Readable | AsyncIterable<Buffer>, opts: IngestOptions): Promise<Received> {
    const tmp = path.join(this.tmpDir, `${this.tmpPrefix}-${(this.tmpSeq++).toString(36)}`);
    const sink = new UploadSink(tmp, this.journalMax, this.journalTakes(opts.declaredBytes));
    let sha256: string;
    let size: number;
    let small: Buffer | undefined;
    try {
      // No fsync here: `stored` fsyncs the data (on the file's handle) together with the directory it is linked into.
      await sink.open();
      ({ sha256, size } = await hashInto(source, sink, opts.maxBytes));
      // Verified before the fsync: a mismatch stops the write, and a match can be told to whoever waits.
      if (opts.expectedSha256 !== undefined && opts.expectedSha256 !== sha256) {
        throw apiError('digest_mismatch', undefined, { expected: opts.expectedSha256, actual: sha256 });
      }
      opts.onVerified?.();
      small = await sink.finish();
    } catch (err) {
      // (The source is left as it is when the loop never ran, as the pipeline left it: destroying a request whose
      // body is still arriving turns the 503 of a read-only or full disk into a reset: diskFaults.test.ts.)
      await sink.abandon();
      // Our own limit, or a disk error (it has a syscall): pass on. Anything else is the client's stream breaking.
      if (err instanceof ApiError || (err as NodeJS.ErrnoException).syscall !== undefined) throw err;
      throw new ApiError('incomplete_body', undefined, undefined, { cause: err });
    }
    // (the file's handle stays open for the data fsync: no open and close of the linked name just for it)
    const [bytes, fh] = [small, sink.fh];
    const once = bytes !== undefined ? () => this.placeSmall(tmp, sha256, bytes) : () => this.placeFile(tmp, sha256, fh as fs.FileHandle);
    const stored = this.place(sha256, once).then((created) => {
      if (created) {
        this.stats.blobs += 1;
        this.stats.bytes += size;
        this.touchedDuringCount?.add(sha256);
      }
      return { sha256, size, created };
    });
    stored.catch(() => undefined); // awaited later by the caller: not an unhandled rejection meanwhile
    return { sha256, size, stored };
  }

  /** A body of `declared` bytes is kept in memory and journaled (see receive). */
  private journalTakes(declared: number | undefined): boolean {
    return this.journal !== undefined && declared !== undefined && declared <= this.journalMax;
  }

  /**
   * Links tmp to final and returns the directories to fsync for the link to be durable. A fan-out directory not known
   * to exist is made first (`leaves`: one bit per ab/cd, 8 KiB, where a set of paths grew towards 65,536 strings, ~6
   * MiB): in a young store nearly every upload opens a new one, and linking first cost a failed link, its rejection
   * and its Error (~25 us of the event loop per 1 KiB PUT under 16 writers) before the mkdir and the link again. One
   * known but removed behind our back is made again on ENOENT. After a restart each directory costs a mkdir (and its
   * EEXIST check) once. The first level exists from init (makeFirstLevels): a new leaf is one mkdir, and two
   * directories to fsync (the leaf and its parent).
   */
  private async linkInto(tmp: string, final: string, dir: string, sha256: string): Promise<string[]> {
    const leaf = Number.parseInt(sha256.slice(0, 4), 16);
    if (this.leafKnown(leaf)) {
      try {
        await fs.link(tmp, final);
        return [dir];
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    const dirs = await makeLeaf(dir);
    this.leaves[leaf >> 3]! |= 1 << (leaf & 7);
    await fs.link(tmp, final);
    return dirs;
  }

  private leafKnown(leaf: number): boolean {
    return ((this.leaves[leaf >> 3] ?? 0) & (1 << (leaf & 7))) !== 0;
  }

  /**
   * True when this upload created the blob; false when it was there already (and sound, or replaced by this one).
   * `once`: the placement itself (placeFile, placeSmall).
   */
  private async place(sha256: string, once: () => Promise<boolean>): Promise<boolean> {
    this.doomed.delete(sha256); // written again: a removal deferred behind a reader no longer applies
    let other: Promise<boolean> | undefined;
    while ((other = this.placing.get(sha256)) !== undefined) await other.catch(() => undefined);
    // (checked and set with no await in between: one upload at a time places a digest)
    const mine = once();
    this.placing.set(sha256, mine);
    try {
      return await mine;
    } finally {
      this.placing.delete(sha256);
    }
  }

  /**
   * A blob written to its temporary file, linked and made durable by its own fsyncs. `fh`: the temporary file, still
   * open; closed here whatever happens. The data fsync runs alongside the directory's, after the link, instead of
   * before it: one 1 KiB PUT waited for one fsync after the other. A crash in between can leave a linked copy whose
   * bytes did not all reach the disk; no version references it (the commit waits for `stored`), and an upload of the
   * same bytes after a restart hashes the copy before trusting it (verifyFile: the memo of sound copies lives in
   * memory) and replaces it.
   */
  private async placeFile(tmp: string, sha256: string, fh: fs.FileHandle): Promise<boolean> {
    let placed = false;
    try {
      const final = this.pathOf(sha256);
      const dir = path.dirname(final);
      const linked = await this.linkTmp(tmp, final, dir, sha256);
      const created =
        linked === 'exists'
          ? await this.placeExisting(tmp, sha256, { final, dir, fh }, () => Promise.resolve(false))
          : await this.settleLinked(tmp, final, sha256, () => Promise.all([fh.datasync(), ...linked.map(fsyncDir)])).then(() => true);
      placed = true;
      return created;
    } finally {
      // a failure to close after a placement is reported; after a failed one, the placement's error is
      const closed = fh.close();
      await (placed ? closed : closed.catch(() => undefined));
    }
  }

  /**
   * A small blob, whole in memory: its journal record is queued at once and group-committed with the other uploads
   * of the moment while its file is written, linked and closed (the record's segment is not checkpointed before the
   * link: see BlobJournal.append); no fsync of its own unless the journal refuses the record. An upload of bytes
   * already on disk journals them too: the copy may be one a crashed process linked and never made durable.
   */
  private async placeSmall(tmp: string, sha256: string, bytes: Buffer): Promise<boolean> {
    const final = this.pathOf(sha256);
    const dir = path.dirname(final);
    const written = this.writeSmall(tmp, final, dir, sha256, bytes);
    const journaled = (this.journal as BlobJournal).append(sha256, bytes, written).then(
      () => true,
      () => false,
    );
    const { fh, linked } = await written.catch(async (err: unknown) => {
      await fs.rm(tmp, { force: true });
      throw err;
    });
    if (linked === 'exists') return await this.placeExisting(tmp, sha256, { final, dir, fh }, () => journaled).finally(() => fh.close());
    await this.settleLinked(tmp, final, sha256, async () => {
      if (!(await journaled)) await Promise.all([syncPath(final, true), ...linked.map(fsyncDir)]);
    });
    return true;
  }

  /** The temporary file written (and closed, unless the blob exists already: placeExisting may use it) and linked. */
  private async writeSmall(tmp: string, final: string, dir: string, sha256: string, bytes: Buffer): Promise<{ fh: fs.FileHandle; linked: string[] | 'exists' }> {
    const fh = await fs.open(tmp, 'wx');
    try {
      await writeFully(fh, [bytes]); // (a write of 0 bytes is an error here: FileHandle.writeFile would try forever)
      const linked = await this.linkTmp(tmp, final, dir, sha256);
      if (linked !== 'exists') await fh.close();
      return { fh, linked };
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  }

  /** linkInto, 'exists' when the blob is there already. */
  private async linkTmp(tmp: string, final: string, dir: string, sha256: string): Promise<string[] | 'exists'> {
    try {
      return await this.linkInto(tmp, final, dir, sha256);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  /**
   * A linked blob made durable (`durable`), the temporary name removed and the new one stat'ed meanwhile (a crash:
   * init clears tmp/); on failure the linked name is removed (never left for another upload to trust). The stat
   * follows the unlink: dropping the temporary name changes the inode's ctime, so a fingerprint taken before it would
   * never match again (the copy hashed anew by its first Range read, and a sound copy a peer's inventory doubts
   * quarantined or not depending on which call the thread pool ran first).
   */
  private async settleLinked(tmp: string, final: string, sha256: string, durable: () => Promise<unknown>): Promise<void> {
    try {
      const [st] = await Promise.all([unlinkIfThere(tmp).then(() => fs.stat(final)), durable()]);
      this.verified.set(sha256, fingerprint(st)); // hashed on the way in
    } catch (err) {
      await Promise.all([fs.rm(final, { force: true }), fs.rm(tmp, { force: true })]);
      throw err;
    }
  }

  /**
   * Start-up replay of a journal record: a file that is missing or does not hash to its name is written again from
   * the record, durably (a temporary file fsynced, renamed over the name, the directories fsynced).
   */
  private async restore(r: JournalRecord): Promise<void> {
    // missing, or unreadable (a read error must not stop the node from starting: the copy is written anew)
    const bad = await this.verifyFile(r.sha256, undefined, { remember: false }).catch(() => 'unreadable');
    if (bad === undefined) return;
    const final = this.pathOf(r.sha256);
    const dir = path.dirname(final);
    const tmp = path.join(this.tmpDir, `${this.tmpPrefix}-${(this.tmpSeq++).toString(36)}`);
    const fh = await fs.open(tmp, 'wx');
    try {
      await fh.writeFile(r.bytes);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    const made = await fs.mkdir(dir, { recursive: true });
    await fs.rename(tmp, final);
    await Promise.all(dirsToSync(dir, made).map(fsyncDir));
  }

  /** A checkpoint's fallback when syncfs is not there: each file, its leaf and the leaf's parent (once each). */
  private async syncEach(digests: readonly string[]): Promise<void> {
    const dirs = new Set<string>();
    for (const d of digests) {
      const file = this.pathOf(d);
      await syncPath(file, true).catch((err: unknown) => {
        if (!isNotFound(err)) throw err; // removed since (garbage collection, quarantine)
      });
      dirs.add(path.dirname(file)).add(path.dirname(path.dirname(file)));
    }
    for (const dir of dirs) await fsyncDir(dir).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
    await fsyncDir(this.blobsDir);
  }

  /**
   * The blob is on disk already: the same bytes, unless the copy rotted; then this upload's verified bytes replace it.
   * The temporary file is gone afterwards (renamed or removed). A sound copy may be one a crashed process linked and
   * never made durable (only in the page cache): unless this upload's journal record covers it (`covered`), it is
   * fsynced with its directory before the upload is answered.
   */
  private async placeExisting(
    tmp: string,
    sha256: string,
    at: { final: string; dir: string; fh: fs.FileHandle },
    covered: () => Promise<boolean>,
  ): Promise<boolean> {
    const { final, dir, fh } = at;
    try {
      const rot = await this.verifyFile(sha256);
      if (rot) {
        await fs.rename(tmp, final);
        const [st] = await Promise.all([fs.stat(final), fh.datasync(), fsyncDir(dir)]);
        this.verified.set(sha256, fingerprint(st));
        this.onRotReplaced(rot);
        return false;
      }
      // Refresh the mtime so garbage collection's grace period covers this upload, which is about to commit.
      const now = new Date();
      await fs.utimes(final, now, now);
      if (!(await covered())) await Promise.all([syncPath(final, true), fsyncDir(dir)]);
      return false;
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  /**
   * Opens a blob for reading, checking its size against the recorded one before anything is sent (a truncated or
   * appended copy is refused here, not discovered mid-response). The blob stays on disk until the caller closes it
   * (pump.ts does), even if garbage collection or cache eviction removes it meanwhile. `end` is inclusive; without it,
   * to the end of the file. Throws ENOENT when there is no local copy.
   */
  async openChecked(sha256: string, size: number, start = 0, end?: number): Promise<OpenBlob> {
    if (this.condemned.has(sha256)) throw new IntegrityError(sha256, 'digest', 'found corrupt, being quarantined');
    const fh = await openRead(this.pathOf(sha256));
    let stat: Stats;
    try {
      stat = await fh.stat();
    } catch (err) {
      await fh.close();
      throw err;
    }
    if (stat.size !== size) {
      await fh.close();
      throw new IntegrityError(sha256, 'size', `expected ${size} bytes, found ${stat.size} on disk`);
    }
    const pool = readChunkFor(this.openReads) === BIG_READ_CHUNK ? this.bigBuffers : this.smallBuffers;
    this.openReads++;
    const release = this.hold(sha256);
    let open = true;
    const close = async (): Promise<void> => {
      if (!open) return;
      open = false;
      this.openReads--;
      release();
      await fh.close();
    };
    return { sha256, fh, stat, start, end, pool, hashThread: this.hashThread, sums: this.sums, close };
  }

  /** Read buffers made since start, by size (a pool too small for the load shows as a rising count), and idle now. */
  buffersMade(): { big: number; small: number; bigIdle: number } {
    return { big: this.bigBuffers.made, small: this.smallBuffers.made, bigIdle: this.bigBuffers.idleCount };
  }

  /**
   * Hashes a local blob whole (paced by `pace`, which is awaited after each chunk: the scrub's rate limit) and
   * compares it with its name. Returns the problem, or undefined when it is sound (remembered until the file changes,
   * so a Range request on a verified blob needs no second pass). Throws ENOENT when there is no copy.
   *
   * `remember: false` (the scrub): no fstat and nothing remembered. The scrub visits every blob once an interval, so
   * its entries would only push the blobs in use out of the memo; and the fstat was a quarter of its system calls
   * (open, fstat, read, close: 10,500-14,000 blobs/s of 64-256 B here, 17,000-20,000 without it). The digest alone
   * decides then: bytes of another length cannot hash to the name.
   */
  async verifyFile(sha256: string, pace?: (bytes: number) => Promise<void>, opts: { remember?: boolean } = {}): Promise<IntegrityError | undefined> {
    const remember = opts.remember ?? true;
    const fh = await openRead(this.pathOf(sha256));
    try {
      const before = remember ? await fh.stat() : undefined;
      const { seen, digest } = await this.hashWhole(fh, pace);
      const bad = checkDigest(sha256, before?.size ?? seen, seen, digest);
      if (!bad && before) this.verified.set(sha256, fingerprint(before));
      return bad;
    } finally {
      await fh.close();
    }
  }

  /**
   * Reads an open file to its end into one pooled buffer. Plain reads, not a read stream: a stream costs more than
   * the bytes of a small blob, and the scrub of ~667,000 blobs of 64-256 B went at a few hundred blobs/s (bench
   * `scale`). A short read is the end of a regular file, which saves the read that would return 0.
   */
  private async hashWhole(fh: fs.FileHandle, pace?: (bytes: number) => Promise<void>): Promise<{ seen: number; digest: string }> {
    const hash = createHash('sha256');
    const buf = this.smallBuffers.take();
    let seen = 0;
    try {
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        hash.update(buf.subarray(0, bytesRead));
        seen += bytesRead;
        await pace?.(bytesRead);
        if (bytesRead < buf.length) break;
      }
    } finally {
      this.smallBuffers.give(buf);
    }
    return { seen, digest: hash.digest('hex') };
  }

  /** True when the file is unchanged since it was last verified whole (inode, size, mtime and ctime). */
  verifiedSince(sha256: string, stat: Stats): boolean {
    return this.verified.get(sha256) === fingerprint(stat);
  }

  /** Reads a small blob whole and verifies it (the caller bounds the size: the hot cache and the compat routes). */
  async readVerified(sha256: string, size: number): Promise<Buffer> {
    const buf = await fs.readFile(this.pathOf(sha256));
    const bad = checkDigest(sha256, size, buf.length, createHash('sha256').update(buf).digest('hex'));
    if (bad) throw bad;
    return buf;
  }

  /**
   * Keeps a blob on disk while held: a removal asked for meanwhile (eviction, garbage collection) happens at the last
   * release. Coalesced readers of a fetched blob hold it from before the transfer ends until they have it open.
   */
  hold(sha256: string): () => void {
    this.holds.set(sha256, (this.holds.get(sha256) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.holds.get(sha256) ?? 1) - 1;
      if (left > 0) return void this.holds.set(sha256, left);
      this.holds.delete(sha256);
      const size = this.doomed.get(sha256);
      if (size !== undefined) void this.remove(sha256, size).catch(() => undefined);
    };
  }

  /** True while a copy found bad waits for quarantine (refused by openChecked, reported bad to a peer's inventory). */
  isCondemned(sha256: string): boolean {
    return this.condemned.has(sha256);
  }

  /** Refuses a copy from now on (synchronously, at the moment it is found bad), until quarantine moves it away. */
  condemn(sha256: string): void {
    this.condemned.add(sha256);
  }

  /**
   * Moves a corrupt copy out of the store (DATA_DIR/quarantine, the newest QUARANTINE_KEEP kept for inspection),
   * so the next read fetches a healthy one. Returns false when it was gone already.
   */
  async quarantine(sha256: string): Promise<boolean> {
    const from = this.pathOf(sha256);
    try {
      const st = await statIfExists(from);
      if (!st) return false;
      // A verified copy may have landed since the bad one was found (a reader's miss fill from a replica, a heal):
      // that one stays, or the node would be left without a copy its index says it holds. The fingerprint alone
      // cannot tell (a bit flipped within the same coarse timestamp tick keeps it), so such a copy is hashed again.
      if (this.verifiedSince(sha256, st) && (await this.verifyFile(sha256)) === undefined) return false;
      await fs.mkdir(this.quarantineDir, { recursive: true });
      await fs.rename(from, path.join(this.quarantineDir, `${sha256}.${Date.now()}`));
      this.verified.delete(sha256);
      this.stats.blobs -= 1;
      this.stats.bytes -= st.size;
      this.touchedDuringCount?.add(sha256);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    } finally {
      this.condemned.delete(sha256);
    }
    await this.trimQuarantine();
    return true;
  }

  private async trimQuarantine(): Promise<void> {
    const names = (await readDirSafe(this.quarantineDir)).sort((a, b) => stamp(a) - stamp(b));
    for (const old of names.slice(0, Math.max(0, names.length - QUARANTINE_KEEP))) {
      await fs.rm(path.join(this.quarantineDir, old), { force: true });
    }
  }

  /**
   * Every stored blob with its size and mtime, WALK_DIRS directories at a time, their files stat'ed WALK_STATS at once.
   * One by one, the walk waited out a thread-pool round trip per directory and per blob (a million blobs spread over
   * 65,536 directories hold 15 each), which was most of a repair pass.
   */
  async *walk(): AsyncGenerator<{ sha256: string; size: number; mtimeMs: number }> {
    for await (const files of this.listed()) {
      for (let j = 0; j < files.length; j += WALK_STATS) {
        const some = files.slice(j, j + WALK_STATS);
        const stats = await Promise.all(some.map((f) => statIfExists(this.pathOf(f))));
        yield* stats.flatMap((st, k) => (st ? [{ sha256: some[k]!, size: st.size, mtimeMs: st.mtimeMs }] : []));
      }
    }
  }

  /** Every stored blob's digest, without a stat (a repair pass takes sizes from Redis): half the system calls. */
  async *digests(): AsyncGenerator<string> {
    for await (const files of this.listed()) yield* files;
  }

  /** The digests stored, WALK_DIRS directories listed at once. */
  private async *listed(): AsyncGenerator<string[]> {
    const dirs = await this.fanoutDirs();
    for (let i = 0; i < dirs.length; i += WALK_DIRS) {
      const listed = await Promise.all(dirs.slice(i, i + WALK_DIRS).map(readDirSafe));
      yield listed.flat().filter((n) => DIGEST_RE.test(n));
    }
  }

  /** The blobs/ab/cd directories (at most 65536). */
  private async fanoutDirs(): Promise<string[]> {
    const dirs: string[] = [];
    for (const a of await readDirSafe(this.blobsDir)) {
      for (const b of await readDirSafe(path.join(this.blobsDir, a))) dirs.push(path.join(this.blobsDir, a, b));
    }
    return dirs;
  }

  /**
   * Removes one blob (garbage collection, cache eviction); deferred while a reader holds it. Not while an upload of
   * the same bytes is placing it: that upload found the copy there (old, unreferenced: what GC looks for), is hashing
   * it before trusting it, and will date it anew; its writer takes no pending lease in its first seconds.
   */
  async remove(sha256: string, size: number): Promise<void> {
    if (this.placing.has(sha256)) return;
    if (this.holds.has(sha256)) {
      this.doomed.set(sha256, size);
      return;
    }
    this.doomed.delete(sha256);
    if (!(await unlinkIfThere(this.pathOf(sha256)))) return;
    this.stats.blobs -= 1;
    this.stats.bytes -= size;
    this.touchedDuringCount?.add(sha256);
  }

  /** True when DATA_DIR accepts a write (readiness). */
  async writable(): Promise<boolean> {
    const probe = path.join(this.tmpDir, `.probe-${randomBytes(4).toString('hex')}`);
    try {
      await fs.writeFile(probe, 'ok');
      await fs.rm(probe, { force: true });
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * The directories whose entries a link into `dir` changed, given the first one mkdir made (undefined: none): `dir`
 * itself, and each new directory's parent. Pure. In a young store nearly every upload opens a new leaf (65,536 of
 * them) under an existing first level; its grandparent, unchanged, needs no fsync (one journal commit per upload
 * fewer on a journaled ext4 than syncing all three).
 */
export function dirsToSync(dir: string, made: string | undefined): string[] {
  if (made === undefined) return [dir];
  const dirs: string[] = [];
  // every new directory, from the leaf up to the first one made, and the parent that got an entry for that one
  for (let d = dir; ; d = path.dirname(d)) {
    dirs.push(d);
    if (d === made || d === path.dirname(d)) break;
  }
  dirs.push(path.dirname(made));
  return dirs;
}

/** The body into `sink`, hashed on the way; over `maxBytes` is refused. (A throw here destroys a Readable source.) */
async function hashInto(source: Readable | AsyncIterable<Buffer>, sink: UploadSink, maxBytes: number): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw apiError('payload_too_large', `The body is larger than ${maxBytes} bytes.`);
    hash.update(chunk);
    await sink.add(chunk, size);
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Makes a fan-out leaf (blobs/ab/cd) under its first level; the directories a link into it then needs fsynced (see
 * dirsToSync). A first level removed behind our back is made again with it.
 */
async function makeLeaf(dir: string): Promise<string[]> {
  try {
    await fs.mkdir(dir);
    return dirsToSync(dir, dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return dirsToSync(dir, undefined);
    if (code !== 'ENOENT') throw err;
  }
  return dirsToSync(dir, await fs.mkdir(dir, { recursive: true }));
}

/**
 * unlink, an absent file being fine (false: there was none). One system call, where fs.rm({ force }) stat'ed the
 * file twice first (strace of an upload: 3 statx -> 1).
 */
const unlinkIfThere = (file: string): Promise<boolean> =>
  fs.unlink(file).then(
    () => true,
    (err: unknown) => {
      if (!isNotFound(err)) throw err;
      return false;
    },
  );

export async function statIfExists(file: string): Promise<Stats | undefined> {
  try {
    return await fs.stat(file);
  } catch (err) {
    if (isNotFound(err)) return undefined; // removed meanwhile (garbage collection)
    throw err;
  }
}

async function readDirSafe(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

