// Garbage collection of blobs that no version references: uploads refused by the rules (duplicate, precondition)
// or interrupted by a crash between the blob's rename and the commit. A committed version's content is always in the
// content index (the commit records it); a write between its upload and its commit — however long it waits for a
// lock — keeps a pending lease on its content (kubecdn:pending:<sha>, renewed by the writer) once it has waited
// min(GC_GRACE_MS / 4, 10 s) (writer.ts pendingLeaseDelayMs). So "in neither, and older than the grace period" is
// safe to remove: the grace period covers a blob from landing on disk (or being pushed, or found there again and
// dated anew by a re-upload) until its writer commits or takes the lease, and BlobStore.remove leaves alone a blob an
// upload is placing (a re-upload hashes the old copy before it dates it).
//
// Scale: a pass looks at every local blob old enough, and asked Redis about each one in its own round trip; at
// ~667,000 blobs a node (1M files, R=2, 3 nodes) that is 667,000 round trips per pass. Lookups now go LOOKUP_BATCH
// at a time in one pipeline (bench `scale` section, docs/scale.md). Passes never overlap: the next one starts
// GC_INTERVAL_MS after the previous one ended (a timer firing every interval stacked passes longer than it).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import type { MetadataStore } from '../metadata/store.js';
import type { Metrics } from '../metrics.js';
import { statIfExists, type BlobStore } from './blobStore.js';

/** blobs asked about in one Redis pipeline: bounds the pass' memory and the pipeline's reply */
export const LOOKUP_BATCH = 500;

/** Pure: may this blob be collected? */
export const collectable = (known: boolean, mtimeMs: number, nowMs: number, graceMs: number): boolean =>
  !known && nowMs - mtimeMs > graceMs;

export interface GcDeps {
  readonly blobs: BlobStore;
  readonly store: MetadataStore;
  readonly metrics: Metrics;
  readonly log: Logger;
}

export interface GcPass {
  /** local blobs walked, blobs old enough to ask Redis about, blobs removed */
  readonly blobs: number;
  readonly looked: number;
  readonly removed: number;
  readonly ms: number;
}

type Candidate = { readonly sha256: string; readonly size: number };

/** Removes the candidates Redis does not know (one round trip for all of them); returns how many went. */
async function removeUnused(d: GcDeps, batch: readonly Candidate[], graceMs: number): Promise<number> {
  const inUse = await d.store.contentInUseMany(batch.map((b) => b.sha256));
  let removed = 0;
  for (const [i, b] of batch.entries()) {
    if (inUse[i]) continue;
    // Looked at again right before removing: an upload of the same bytes since the walk refreshed the mtime.
    const now = await statIfExists(d.blobs.pathOf(b.sha256));
    if (!now || !collectable(false, now.mtimeMs, Date.now(), graceMs)) continue;
    await d.blobs.remove(b.sha256, b.size);
    removed++;
  }
  return removed;
}

/** One pass over the local blobs. */
export async function collectGarbage(d: GcDeps, graceMs: number): Promise<GcPass> {
  const started = performance.now();
  let blobs = 0;
  let looked = 0;
  let removed = 0;
  let batch: Candidate[] = [];
  for await (const b of d.blobs.walk()) {
    blobs++;
    if (!collectable(false, b.mtimeMs, Date.now(), graceMs)) continue; // too young: not worth a lookup
    batch.push(b);
    if (batch.length < LOOKUP_BATCH) continue;
    looked += batch.length;
    removed += await removeUnused(d, batch, graceMs);
    batch = [];
  }
  looked += batch.length;
  removed += await removeUnused(d, batch, graceMs);
  d.metrics.gcRuns.inc();
  if (removed > 0) d.metrics.blobsCollected.inc(removed);
  const pass = { blobs, looked, removed, ms: Math.round(performance.now() - started) };
  d.log.info(pass, 'garbage collection pass done');
  return pass;
}

/** Passes every `intervalMs` (0: none), measured from the end of one pass to the start of the next. */
export class GarbageCollector {
  private readonly ctrl = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly deps: GcDeps,
    private readonly opts: { readonly intervalMs: number; readonly graceMs: number },
  ) {}

  /** One pass now (tests, and the interval's). */
  pass(): Promise<GcPass> {
    return collectGarbage(this.deps, this.opts.graceMs);
  }

  start(): void {
    if (this.opts.intervalMs <= 0 || this.loop) return;
    this.loop = this.run().catch(() => undefined); // only an abort ends it
  }

  async stop(): Promise<void> {
    this.ctrl.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { signal } = this.ctrl;
    for (;;) {
      await sleep(this.opts.intervalMs, undefined, { signal, ref: false });
      await this.pass().catch((err: Error) => this.deps.log.warn({ err: err.message }, 'gc failed'));
    }
  }
}
