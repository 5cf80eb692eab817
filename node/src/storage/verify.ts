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
  const hash = from?.hash ?? createHash('sha256');
  let seen = from?.offset ?? 0;
  let held: Buffer | undefined;
  // onBad runs before the stream fails, i.e. before the client can see the cut and ask again
  const fail = (err: IntegrityError, done: TransformCallback): void => {
    onBad?.(err);
    done(err);
  };
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
      seen += chunk.length;
      if (seen > size) return fail(new IntegrityError(sha256, 'size', `more than ${size} bytes`), done);
      hash.update(chunk);
      const out = held;
      held = chunk;
      done(null, out);
    },
    flush(done: TransformCallback): void {
      const bad = checkDigest(sha256, size, seen, hash.digest('hex'));
      if (bad) return fail(bad, done);
      done(null, held);
    },
  });
}

export function isIntegrityError(err: unknown): err is IntegrityError {
  return err instanceof IntegrityError;
}
