// Sending an open blob's bytes to a socket: read into pooled buffers (bufferPool.ts), written with a callback that
// gives each buffer back, waiting for 'drain' (backpressure: at most the socket's buffer plus one chunk in flight).
// With a check, the whole object is hashed as it goes and its last chunk is held back until everything matched the
// digest and the recorded size: a rotten copy ends as a cut transfer, never as a complete body under a valid ETag
// (the same rule as verify.ts's Transform). Hand-written because a stream pipeline cannot reuse a buffer: nothing in
// it says when the socket is done with a chunk, only the write callback does.
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { BufferPool } from './bufferPool.js';
import { SumsTaker } from './chunkCrc.js';
import { sumsCheck, type SumsMemo } from './chunkSums.js';
import { inlineCheck, OFF_THREAD_MIN_BYTES, type HashThread, type RunningCheck } from './offThreadHash.js';
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
  /** where large whole objects are hashed (offThreadHash.ts); absent: on this thread */
  readonly hashThread?: HashThread | undefined;
  /** the CRC-32 sums of blobs read whole before (chunkSums.ts); absent: every whole read is hashed */
  readonly sums?: SumsMemo | undefined;
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

/** A buffer read into, its length, and what gives it back to the pool once everything reading it is done. */
type Chunk = readonly [buf: Buffer, length: number, release: () => void];

/** Calls `then` on the n-th call: a buffer both written and hashed. */
function afterCalls(n: number, then: () => void): () => void {
  let left = n;
  return () => {
    if (--left === 0) then();
  };
}

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
  private readonly digest: RunningCheck | undefined;
  private held: Chunk | undefined;

  constructor(
    private readonly src: OpenBlob,
    private readonly out: Sink,
    private readonly check: PumpCheck | undefined,
  ) {
    out.once('close', this.onClose);
    this.pos = src.start;
    this.digest = check && runningCheck(src, check);
  }

  async run(): Promise<void> {
    while (await this.step());
    await this.finish();
    if (this.gone) throw new ReceiverGone();
    this.out.end();
  }

  dispose(): void {
    this.out.off('close', this.onClose);
    this.held?.[2](); // never to be written; back to the pool once the hash is done with it too
    this.held = undefined;
    this.digest?.drop();
  }

  /** Reads one chunk and passes it on (a checked one holds it back); false once the end is reached. */
  private async step(): Promise<boolean> {
    const want = wantNext(this.src.pool.size, this.pos, this.src.end, this.digest?.remaining);
    if (want <= 0) return false;
    await this.digest?.room(); // a hash on another thread that falls behind holds the reads back, like the socket
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
    const give = (): void => pool.give(buf);
    return [buf, n, this.digest ? afterCalls(2, give) : give];
  }

  private async holdBack(chunk: Chunk, digest: RunningCheck): Promise<void> {
    const bad = digest.add(chunk[0], chunk[1], chunk[2]);
    if (bad) {
      this.src.pool.give(chunk[0]); // a refused chunk is not kept by the hash
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
      const bad = await digest.finish();
      if (bad) throw this.fail(bad);
      const last = this.held;
      this.held = undefined;
      if (last) await this.send(last);
    } else if (src.end !== undefined && this.pos <= src.end) {
      throw new Error(`blob ${src.sha256} ended at byte ${this.pos}, before the range's end ${src.end}`);
    }
  }

  /** Writes a chunk; its buffer goes back to the pool from the write's callback, when the socket is done with it. */
  private async send([buf, n, release]: Chunk): Promise<void> {
    if (this.gone) throw new ReceiverGone();
    if (this.out.write(n === buf.length ? buf : buf.subarray(0, n), release)) return;
    await drained(this.out);
    if (this.gone) throw new ReceiverGone();
  }

  private fail(err: IntegrityError): IntegrityError {
    this.check?.onBad?.(err);
    return err;
  }
}

/**
 * How a whole object is checked. A large one goes to the hash thread (when there is one); there a blob read whole
 * before is checked against its sums (chunkSums.ts), and a first read is hashed and yields them. On this thread the
 * same: known sums are checked inline, anything else is hashed (a continuation's hash lives here), and a read from
 * the start takes the sums on the way, kept once the hash matched.
 */
function runningCheck(src: OpenBlob, check: PumpCheck): RunningCheck {
  const { sha256, size } = check;
  const fromStart = check.from === undefined;
  const known = fromStart ? src.sums?.get(sha256, size) : undefined;
  const memo = src.sums;
  const taken = memo && ((s: Uint32Array): void => memo.set(sha256, s));
  const offThread = fromStart && size >= OFF_THREAD_MIN_BYTES ? src.hashThread?.check(sha256, size, { known, taken }) : undefined;
  if (offThread) return offThread;
  if (known) return sumsCheck(sha256, size, known);
  const hashed = inlineCheck(new DigestCheck(sha256, size, check.from));
  return fromStart && memo ? recordingSums(hashed, check, memo) : hashed;
}

/** `inner`'s check, taking the sums on the way; they are kept only when the digest matched. */
function recordingSums(inner: RunningCheck, check: PumpCheck, memo: SumsMemo): RunningCheck {
  const rec = new SumsTaker(check.size);
  return {
    get remaining() {
      return inner.remaining;
    },
    room: () => inner.room(),
    add(buf, length, hashed) {
      rec.add(buf.subarray(0, length)); // first: `hashed` may give the buffer back (a refused chunk ends the transfer)
      return inner.add(buf, length, hashed);
    },
    async finish() {
      const bad = await inner.finish();
      const sums = bad ? undefined : rec.done();
      if (sums) memo.set(check.sha256, sums);
      return bad;
    },
    drop: () => inner.drop(),
  };
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
