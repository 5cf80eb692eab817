// Streaming helpers shared by get and put: hash while passing bytes through, hash a file without holding it, and
// decide where a download is written so a failed one never leaves a partial file behind.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Passes bytes through unchanged, counting them and computing their SHA-256. */
export class HashCounter extends Transform {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** Call once, after the stream has finished. */
  digest(): string {
    return this.hash.digest('hex');
  }
}

/** SHA-256 of a file, read once as a stream; `through` may watch the bytes go by (a progress bar). */
export async function hashFile(
  file: string,
  through: Transform | undefined,
  signal: AbortSignal,
): Promise<{ sha256: string; size: number }> {
  const hasher = new HashCounter();
  const sink = new Transform({ transform: (_c, _e, done) => done() }); // discards: only the digest is wanted
  const stages = through ? [createReadStream(file), through, hasher, sink] : [createReadStream(file), hasher, sink];
  await pipeline(stages, { signal });
  return { sha256: hasher.digest(), size: hasher.bytes };
}

/** The digest in a strong ETag `"<64 hex>"`, or undefined when the ETag is anything else. Pure. */
export function digestFromEtag(etag: string | null): string | undefined {
  const m = etag === null ? null : /^"([0-9a-f]{64})"$/.exec(etag.trim());
  return m?.[1];
}

export interface OutputPlan {
  /** where bytes are written */
  readonly writePath: string;
  /** where they are renamed to on success; undefined when written in place (a device or FIFO such as /dev/null) */
  readonly finalPath: string | undefined;
}

/**
 * A regular (or new) file is written to a temporary name beside it and renamed on success, so a failed or corrupt
 * download never replaces the old file and never leaves a partial one. Anything else is written in place. Pure.
 */
export function planOutput(target: string, existing: Pick<Stats, 'isFile'> | undefined, suffix: string): OutputPlan {
  if (existing !== undefined && !existing.isFile()) return { writePath: target, finalPath: undefined };
  const dir = path.dirname(target);
  return { writePath: path.join(dir, `.${path.basename(target)}.${suffix}.kubecdn-part`), finalPath: target };
}

export async function outputPlanFor(target: string): Promise<OutputPlan> {
  const existing = await fs.stat(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  return planOutput(target, existing, randomBytes(4).toString('hex'));
}
