// Reading the local side of a tree: its regular files (relative paths with "/"), each hashed by streaming it once,
// a few at a time.
import fs from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { interrupted } from '../errors.js';
import { localFileError } from '../runtime.js';
import { hashFile } from '../transfer.js';
import type { LocalEntry } from './plan.js';

export interface Walk {
  readonly files: ReadonlyArray<{ readonly rel: string; readonly path: string }>;
  /** symlinks, sockets, FIFOs: not followed, not uploaded (a link could lead out of the tree or loop) */
  readonly skipped: readonly string[];
}

/** The regular files under `dir` that `keep` accepts, in name order. */
export async function walkTree(dir: string, keep: (rel: string) => boolean): Promise<Walk> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch((err: unknown) => {
    throw localFileError(err, dir, 'read the directory');
  });
  const files: Array<{ rel: string; path: string }> = [];
  const skipped: string[] = [];
  for (const e of entries) {
    if (e.isDirectory()) continue;
    const full = path.join(e.parentPath, e.name);
    const rel = path.relative(dir, full).split(path.sep).join('/');
    if (!keep(rel)) continue;
    if (e.isFile()) files.push({ rel, path: full });
    else skipped.push(rel);
  }
  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return { files, skipped };
}

/** Every file's SHA-256 and size, `parallel` at a time; never a whole file in memory. */
export async function hashAll(
  files: Walk['files'],
  parallel: number,
  signal: AbortSignal,
): Promise<LocalEntry[]> {
  const limit = pLimit(parallel);
  return Promise.all(
    files.map((f) =>
      limit(async () => {
        const { sha256, size } = await hashFile(f.path, undefined, signal).catch((err: unknown) => {
          throw signal.aborted ? interrupted() : localFileError(err, f.path, 'read');
        });
        return { ...f, sha256, size };
      }),
    ),
  );
}

/** The SHA-256 of a local file if it exists as a regular file of `size` bytes, else undefined (so: download). */
export async function localDigest(file: string, size: number, signal: AbortSignal): Promise<string | undefined> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (stat === undefined || !stat.isFile() || stat.size !== size) return undefined;
  return (await hashFile(file, undefined, signal)).sha256;
}
