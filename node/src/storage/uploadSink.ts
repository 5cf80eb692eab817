// Where an upload's bytes go while they arrive: its temporary file (batched writes), or memory for a small body the
// blob journal takes (BlobStore.receive), which goes to the file after all if it outgrows `memoryMax`.
import fs from 'node:fs/promises';
import { BatchedWrite } from './batchedWrite.js';

// An upload is written in batches of this many bytes (batchedWrite.ts): gathering socket-sized chunks into one call
// measured +20% ingest against writing each as it came.
const WRITE_BATCH_BYTES = 1024 * 1024;

export class UploadSink {
  /** the temporary file, once opened: still open when the body is in (the data fsync uses it) */
  fh: fs.FileHandle | undefined;
  private out: BatchedWrite | undefined;
  /** the body so far while it is kept in memory */
  private kept: Buffer[] | undefined;

  constructor(
    private readonly tmp: string,
    private readonly memoryMax: number,
    inMemory: boolean,
  ) {
    this.kept = inMemory ? [] : undefined;
  }

  /**
   * Opens the file unless the body is kept in memory. Called before the body is read: a read-only or full disk then
   * answers 503 before anything is consumed.
   */
  async open(): Promise<void> {
    if (this.kept === undefined) await this.toFile();
  }

  /** `size`: the body's bytes so far, this chunk included. */
  async add(chunk: Buffer, size: number): Promise<void> {
    if (this.kept !== undefined && size > this.memoryMax) {
      const kept = this.kept;
      this.kept = undefined; // larger than declared: to the file after all
      await this.toFile();
      for (const k of kept) await this.out?.add(k);
    }
    if (this.kept === undefined) await this.out?.add(chunk);
    else this.kept.push(chunk);
  }

  /** The whole body: in memory (one Buffer), or undefined when it is in the file (every write done). */
  async finish(): Promise<Buffer | undefined> {
    await this.out?.finish();
    return this.kept && Buffer.concat(this.kept);
  }

  /** After a failure: the writes settled, the file closed and removed. */
  async abandon(): Promise<void> {
    await this.out?.settled();
    if (this.fh === undefined) return;
    await this.fh.close().catch(() => undefined);
    await fs.rm(this.tmp, { force: true });
  }

  private async toFile(): Promise<void> {
    this.fh = await fs.open(this.tmp, 'wx');
    this.out = new BatchedWrite(this.fh, WRITE_BATCH_BYTES);
  }
}
