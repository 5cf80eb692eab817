// The remote side of a tree: every live file under a prefix with its digest, across the listing's pages.
import { query } from '../names.js';
import { collectPages } from '../pages.js';
import type { Runtime } from '../runtime.js';
import type { FilesPage } from '../types.js';
import type { RemoteEntry } from './plan.js';

export async function listRemote(rt: Runtime, prefix: string): Promise<RemoteEntry[]> {
  return collectPages(async (cursor, want) => {
    const page = await rt.client.json<FilesPage>(`/files${query({ prefix: prefix || undefined, limit: want, cursor })}`);
    return { items: page.files, next: page.nextCursor };
  }, undefined);
}
