// Pure pieces of a repair pass: local blobs taken a batch at a time, and a batch grouped by the peers that should
// hold copies, so that each peer is asked about the whole batch in one inventory request (inventory.ts).
import type { InventoryEntry } from './inventory.js';
import { homes } from './placement.js';

export interface LocalBlob {
  readonly sha256: string;
  readonly size: number;
}

export interface BatchPlan {
  /** the batch's blobs, each with whether this node is one of its homes (a home copy is pinned, never evicted) */
  readonly blobs: ReadonlyArray<{ readonly blob: LocalBlob; readonly home: boolean }>;
  /** every other home, with the blobs of the batch it should hold */
  readonly byPeer: ReadonlyMap<string, InventoryEntry[]>;
}

/** Pure: the homes (under `members`) of each blob of a batch, grouped by peer; `self` is never asked. */
export function planBatch(batch: readonly LocalBlob[], members: readonly string[], self: string, replication: number): BatchPlan {
  const byPeer = new Map<string, InventoryEntry[]>();
  const blobs = batch.map((blob) => {
    const hs = homes(blob.sha256, members, replication);
    for (const h of hs) {
      if (h === self) continue;
      const list = byPeer.get(h) ?? [];
      list.push({ sha256: blob.sha256, size: blob.size });
      byPeer.set(h, list);
    }
    return { blob, home: hs.includes(self) };
  });
  return { blobs, byPeer };
}

/** `items` in arrays of `size` (the last one shorter): a batch at a time in memory, never the whole listing. */
export async function* batches<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * `source` with its next item fetched while the consumer works on the current one (two in memory at most): the walk
 * of the next batch's files overlaps the current batch's Redis call, inventories and pushes.
 */
export async function* readAhead<T>(source: AsyncIterator<T>): AsyncGenerator<T> {
  let next = source.next();
  try {
    for (;;) {
      const r = await next;
      if (r.done) return;
      next = source.next();
      next.catch(() => undefined); // awaited on the next turn; a consumer that stops early must not leave it unhandled
      yield r.value;
    }
  } finally {
    await next.catch(() => undefined);
    await source.return?.(undefined);
  }
}
