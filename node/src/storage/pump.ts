// Sending an open blob's bytes to a socket: read into pooled buffers (bufferPool.ts), written with a callback that
// gives each buffer back, waiting for 'drain' (backpressure: at most the socket's buffer plus one chunk in flight).
// With a check, the whole object is hashed as it goes and its last chunk is held back until everything matched the
// digest and the recorded size: a rotten copy ends as a cut transfer, never as a complete body under a valid ETag
// (the same rule as verify.ts's Transform). Hand-written because a stream pipeline cannot reuse a buffer: nothing in
// it says when the socket is done with a chunk, only the write callback does.
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { BufferPool } from './bufferPool.js';
import { DigestCheck, type IntegrityError, type VerifyFrom } from './verify.js';

/** A local copy opened for reading (BlobStore.openChecked): held on disk until close(). */
export interface OpenBlob {
  readonly sha256: string;
  readonly fh: FileHandle;
  readonly stat: Stats;
  /** first byte to send */
  readonly start: number;
  /** last byte to send (inclusive); undefined: to the end of the file */
  readonly end: number | undefined;
  readonly pool: BufferPool;
  /** Closes the file and gives back its hold; safe to call twice. */
  close(): Promise<void>;
}

/** What a whole-object transfer must add up to. */
export interface PumpCheck {
  readonly sha256: string;
  readonly size: number;
  /** a continuation: the bytes already sent before `start`, and their hash */
  readonly from?: VerifyFrom;
  /** runs before the transfer fails, i.e. before the receiver can see the cut and ask again */
  readonly onBad?: (err: IntegrityError) => void;
}

/** The receiving end: a ServerResponse, an http.ServerResponse to a peer, any Writable. */
export interface Sink {
  write(chunk: Buffer, cb: (err?: Error | null) => void): boolean;
  end(): unknown;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

export class ReceiverGone extends Error {
  constructor() {
    super('the receiver closed the connection');
    this.name = 'ReceiverGone';
  }
}

type Chunk = readonly [buf: Buffer, length: number];

/**
 * Sends the open blob's bytes to `out` and ends it. Throws — leaving `out` unended, for the caller to destroy — on a
 * read error, an IntegrityError (with `check`), or the receiver closing early. Closes the blob either way.
 */
export async function pumpBlob(src: OpenBlob, out: Sink, check?: PumpCheck): Promise<void> {
  const t = new Transfer(src, out, check);
  try {
    await t.run();
  } finally {
    t.dispose();
    await src.close();
  }
}

/** One transfer's state: where it reads, what it has hashed, the chunk it holds back, whether the receiver left. */
class Transfer {
  private gone = false;
  private readonly onClose = (): void => {
    this.gone = true;
  };
  private pos: number;
  /** with a check: what has been read of the object, counting a continuation's offset */
  private readonly digest: DigestCheck | undefined;
  private held: Chunk | undefined;

  constructor(
    private readonly src: OpenBlob,
    private readonly out: Sink,
    private readonly check: PumpCheck | undefined,
  ) {
    out.once('close', this.onClose);
    this.pos = src.start;
    this.digest = check ? new DigestCheck(check.sha256, check.size, check.from) : undefined;
  }

  async run(): Promise<void> {
    while (await this.step());
    await this.finish();
    if (this.gone) throw new ReceiverGone();
    this.out.end();
  }

  dispose(): void {
    this.out.off('close', this.onClose);
    if (this.held) this.src.pool.give(this.held[0]);
    this.held = undefined;
  }

  /** Reads one chunk and passes it on (a checked one holds it back); false once the end is reached. */
  private async step(): Promise<boolean> {
    const want = wantNext(this.src.pool.size, this.pos, this.src.end, this.digest?.remaining);
    if (want <= 0) return false;
    const chunk = await this.read(want);
    if (!chunk) return false;
    await (this.digest ? this.holdBack(chunk, this.digest) : this.send(chunk));
    return chunk[1] === want; // a short read of a regular file: its end
  }

  private async read(want: number): Promise<Chunk | undefined> {
    const { pool, fh } = this.src;
    const buf = pool.take();
    let n: number;
    try {
      n = (await fh.read(buf, 0, want, this.pos)).bytesRead;
    } catch (err) {
      pool.give(buf);
      throw err;
    }
    if (n === 0) {
      pool.give(buf);
      return undefined;
    }
    this.pos += n;
    return [buf, n];
  }

  private async holdBack(chunk: Chunk, digest: DigestCheck): Promise<void> {
    const bad = digest.add(chunk[0].subarray(0, chunk[1]));
    if (bad) {
      this.src.pool.give(chunk[0]);
      throw this.fail(bad);
    }
    const previous = this.held;
    this.held = chunk;
    if (previous) await this.send(previous);
  }

  /** At the end: a checked object must match its digest and size before its last chunk goes; a range must be whole. */
  private async finish(): Promise<void> {
    const { digest, src } = this;
    if (digest) {
      const bad = digest.finish();
      if (bad) throw this.fail(bad);
      const last = this.held;
      this.held = undefined;
      if (last) await this.send(last);
    } else if (src.end !== undefined && this.pos <= src.end) {
      throw new Error(`blob ${src.sha256} ended at byte ${this.pos}, before the range's end ${src.end}`);
    }
  }

  /** Writes a chunk; its buffer goes back to the pool from the write's callback, when the socket is done with it. */
  private async send([buf, n]: Chunk): Promise<void> {
    if (this.gone) throw new ReceiverGone();
    const pool = this.src.pool;
    if (this.out.write(n === buf.length ? buf : buf.subarray(0, n), () => pool.give(buf))) return;
    await drained(this.out);
    if (this.gone) throw new ReceiverGone();
  }

  private fail(err: IntegrityError): IntegrityError {
    this.check?.onBad?.(err);
    return err;
  }
}

/**
 * Pure: how many bytes the next read asks for. A range stops at its end. A checked whole object asks for one byte
 * more than it still expects, so the short read that ends it also proves nothing follows (bytes appended behind the
 * node's back fail the check) without a read of its own; otherwise whole chunks up to the end of the file.
 */
export function wantNext(chunk: number, pos: number, end: number | undefined, remaining: number | undefined): number {
  if (end !== undefined) return Math.min(chunk, end - pos + 1);
  if (remaining !== undefined) return Math.min(chunk, remaining + 1);
  return chunk;
}

function drained(out: Sink): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
}
