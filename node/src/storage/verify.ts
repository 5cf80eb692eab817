// Integrity on the way out: a whole-object response is hashed while it is sent, and its last chunk is held back
// until the digest (and the byte count) match. On a mismatch the stream fails instead, so the client's transfer
// ends short of Content-Length — a failed download, never a complete body under a valid ETag. The same check runs
// when a blob is served to a peer or pushed to one. Written here because no stream library verifies a digest
// before releasing the final bytes (ssri, hasha and friends check only after everything has been passed on).
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** A local copy whose bytes are not what its name says: the caller quarantines it. */
export class IntegrityError extends Error {
  constructor(
    readonly sha256: string,
    readonly reason: 'size' | 'digest',
    detail: string,
  ) {
    super(`blob ${sha256} failed its integrity check (${reason}): ${detail}`);
    this.name = 'IntegrityError';
  }
}

export interface VerifyFrom {
  /** bytes of the object already sent before this stream (a continuation) */
  readonly offset: number;
  /** the hash of those bytes (consumed: pass a copy) */
  readonly hash: Hash;
}

/** Pure: does what was read match the object's name and recorded size? */
export function checkDigest(sha256: string, size: number, seen: number, actual: string): IntegrityError | undefined {
  if (seen !== size) return new IntegrityError(sha256, 'size', `expected ${size} bytes, read ${seen}`);
  if (actual !== sha256) return new IntegrityError(sha256, 'digest', `read ${actual}`);
  return undefined;
}

/**
 * Passes the bytes of blob `sha256` (`size` bytes in all) through, holding back the most recent chunk; the held
 * chunk is released only when the stream ends and everything hashed to `sha256`. Memory: one chunk.
 */
export function verifying(sha256: string, size: number, from?: VerifyFrom, onBad?: (err: IntegrityError) => void): Transform {
  const digest = new DigestCheck(sha256, size, from);
  let held: Buffer | undefined;
  // onBad runs before the stream fails, i.e. before the client can see the cut and ask again
  const fail = (err: IntegrityError, done: TransformCallback): void => {
    onBad?.(err);
    done(err);
  };
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
      const bad = digest.add(chunk);
      if (bad) return fail(bad, done);
      const out = held;
      held = chunk;
      done(null, out);
    },
    flush(done: TransformCallback): void {
      const bad = digest.finish();
      if (bad) return fail(bad, done);
      done(null, held);
    },
  });
}

/**
 * One object's bytes checked as they pass, whoever passes them (the `verifying` Transform, pump.ts): counted and
 * hashed; bytes past the size fail at once, a wrong digest or a short count at the end.
 */
export class DigestCheck {
  private readonly hash: Hash;
  private seen: number;

  constructor(
    readonly sha256: string,
    readonly size: number,
    from?: VerifyFrom,
  ) {
    this.hash = from?.hash ?? createHash('sha256');
    this.seen = from?.offset ?? 0;
  }

  /** bytes still expected */
  get remaining(): number {
    return this.size - this.seen;
  }

  /** Adds the next bytes; the error when they go past the object's size. */
  add(chunk: Buffer): IntegrityError | undefined {
    this.seen += chunk.length;
    if (this.seen > this.size) return new IntegrityError(this.sha256, 'size', `more than ${this.size} bytes`);
    this.hash.update(chunk);
    return undefined;
  }

  /** At the end: the error when the bytes were not the object's. */
  finish(): IntegrityError | undefined {
    return checkDigest(this.sha256, this.size, this.seen, this.hash.digest('hex'));
  }
}

export function isIntegrityError(err: unknown): err is IntegrityError {
  return err instanceof IntegrityError;
}
