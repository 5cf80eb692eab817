// Durability by path, shared by the blob store and its journal.
import fs from 'node:fs/promises';

/** fsync (directories: their entries) or fdatasync (a file's data, and its size) by path. */
export async function syncPath(p: string, dataOnly: boolean): Promise<void> {
  const fh = await fs.open(p, 'r');
  try {
    await (dataOnly ? fh.datasync() : fh.sync());
  } finally {
    await fh.close();
  }
}

export const fsyncDir = (dir: string): Promise<void> => syncPath(dir, false);

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
