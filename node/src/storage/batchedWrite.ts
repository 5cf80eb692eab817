// An upload's bytes into its temporary file, as a write stream would write them but without a stream pipeline: a
// chunk is written at once when no write is running; chunks that arrive meanwhile gather and go in one writev when it
// ends. The reader waits (backpressure) while a full batch (WRITE_BATCH bytes or MAX_BUFFERS chunks) gathers, so an
// upload holds at most about two batches, and a client trickling tiny segments cannot pile up buffer objects.
// Hand-written instead of stream.pipeline(source, hasher, createWriteStream): for a 1 KiB PUT the pipeline's own
// machinery (stream states, end-of-stream listeners, the AbortController it aborts when done, whose DOMException
// captures a stack) cost ~170 µs of the event loop per upload in a profile of 16 writers, against ~50 µs for this.
import type { FileHandle } from 'node:fs/promises';

const MAX_BUFFERS = 1024;

/** Writes all of `chunks` at the handle's position: writev may write less than asked (a full disk, a signal). */
export async function writeFully(fh: FileHandle, chunks: Buffer[]): Promise<void> {
  // (empty chunks dropped first: an empty file is nothing to write, not a write of 0 bytes)
  let rest = chunks.filter((c) => c.length > 0);
  while (rest.length > 0) {
    let { bytesWritten } = await fh.writev(rest);
    // (a disk error, so that it is not taken for the client's body breaking off)
    if (bytesWritten === 0) throw Object.assign(new Error('writev wrote nothing'), { code: 'EIO', syscall: 'writev' });
    const left: Buffer[] = [];
    for (const c of rest) {
      if (bytesWritten >= c.length) bytesWritten -= c.length;
      else {
        left.push(bytesWritten > 0 ? c.subarray(bytesWritten) : c);
        bytesWritten = 0;
      }
    }
    rest = left;
  }
}

export class BatchedWrite {
  private batch: Buffer[] = [];
  private bytes = 0;
  /** the write loop, while anything is being written (it never rejects: a failure is kept in `failed`) */
  private running: Promise<void> | undefined;
  private failed: { readonly err: unknown } | undefined;

  constructor(
    private readonly fh: FileHandle,
    private readonly batchBytes: number,
  ) {}

  /** Resolves at once unless a full batch gathered behind the write under way (then when everything is written). */
  async add(chunk: Buffer): Promise<void> {
    this.throwIfFailed();
    if (chunk.length === 0) return; // (an empty body is one empty chunk: nothing to write)
    this.batch.push(chunk);
    this.bytes += chunk.length;
    if (this.running === undefined) this.running = this.drain();
    else if (this.bytes >= this.batchBytes || this.batch.length >= MAX_BUFFERS) await this.running;
    this.throwIfFailed();
  }

  /** Everything added is written (not synced); throws the first write error. */
  async finish(): Promise<void> {
    await this.running;
    this.throwIfFailed();
  }

  /** Waits for the write under way, whatever its outcome (before the handle is closed after a failure). */
  async settled(): Promise<void> {
    await this.running;
  }

  private throwIfFailed(): void {
    if (this.failed) throw this.failed.err;
  }

  private async drain(): Promise<void> {
    try {
      while (this.batch.length > 0) {
        const batch = this.batch;
        this.batch = [];
        this.bytes = 0;
        await writeFully(this.fh, batch);
      }
    } catch (err) {
      this.failed = { err };
      this.batch = [];
      this.bytes = 0;
    } finally {
      this.running = undefined;
    }
  }
}
