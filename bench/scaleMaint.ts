// Garbage collection and scrub passes at scale. Neither can be started on demand, and any node (re)start runs a
// repair pass over all its blobs (cluster/repair.ts), which would share the CPU and disk with them. So they run last,
// once the cluster's nodes are stopped, on a standalone node (no cluster: no repair) over one node's DATA_DIR and the
// same Redis: first with GC_INTERVAL_MS and the scrub off, then with the scrub at its default rate and GC off. (A
// hard-linked copy of a live store took a minute for 33,000 blobs here: directory entries are what is slow.) Each
// pass reports itself in the node's log, with its duration.
// GC_GRACE_MS=0: the seeded blobs are minutes old, and a pass skips blobs younger than the grace period without asking
// Redis, where a store in service has nearly all its blobs older than it. The I/O is /proc/<pid>/io from the moment
// the node's start-up count is done (kubecdn_blob_store_blobs > 0) to that line.
import path from 'node:path';
import { metric } from '../test/helpers/metrics.js';
import { spawnNode } from '../test/helpers/nodeProcess.js';
import { say } from './context.js';
import { logsIn } from './proc.js';
import { blobOf, sha256Of } from './scaleData.js';
import { ioDelta, logLines, numField, pollFor, readIo, type Io } from './scaleProbe.js';
import { writeBlob } from './scaleSeed.js';

const HOUR_MS = 3_600_000;
/** the GC pass starts this long after the node listens: time for its start-up count to finish first */
const GC_DELAY_MS = 20_000;

export interface PassMeasure {
  readonly done: boolean;
  /** from the pass' own log line */
  readonly seconds: number | undefined;
  readonly blobs: number | undefined;
  /** GC: blobs removed (of the `garbage` planted); scrub: corrupt blobs found */
  readonly removed: number | undefined;
  readonly io: Io;
  /** settings of the node that ran it */
  readonly env: Readonly<Record<string, string>>;
}

export interface MaintResult {
  readonly blobs: number;
  readonly garbage: number;
  readonly gc: PassMeasure;
  readonly scrub: PassMeasure;
}

/** Starts the standalone node, waits for its count, then for `msg` in its log; stops it. */
async function measurePass(redisUrl: string, dataDir: string, env: Record<string, string>, msg: string, waitS: number): Promise<PassMeasure> {
  const node = await spawnNode(redisUrl, { NODE_ID: 'scale-maint', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env }, logsIn(path.dirname(dataDir)));
  try {
    const started = Date.now();
    await pollFor(async () => ((await metric(node.url, 'kubecdn_blob_store_blobs')) > 0 ? true : undefined), waitS * 1000);
    const io0 = await readIo(node.pid);
    const line = await pollFor(() => logLines(node.output(), msg, started)[0], waitS * 1000);
    const io = ioDelta(io0, await readIo(node.pid));
    const n = (k: string): number | undefined => numField(line, k);
    const ms = n('ms');
    return { done: line !== undefined, seconds: ms === undefined ? undefined : ms / 1000, blobs: n('blobs'), removed: n('removed') ?? n('corrupt'), io, env };
  } finally {
    await node.stop();
  }
}

/** `dataDir`: a stopped node's store, `blobs` in it; `garbage` unreferenced blobs are planted first. */
export async function measureMaintenance(redisUrl: string, dataDir: string, opts: { blobs: number; garbage: number; waitS: number; salt: string }): Promise<MaintResult> {
  // Uploads that never committed, older than the default grace period: what GC is for.
  const old = new Date(Date.now() - 2 * HOUR_MS);
  for (let g = 0; g < opts.garbage; g++) {
    const b = blobOf(g, `${opts.salt}-garbage`);
    await writeBlob(dataDir, sha256Of(b), b, old);
  }
  say(`scale: one garbage collection pass over ${opts.blobs.toLocaleString('en-US')} blobs (standalone node, scrub off)`);
  const gc = await measurePass(redisUrl, dataDir, { GC_INTERVAL_MS: String(GC_DELAY_MS), GC_GRACE_MS: '0', SCRUB_BYTES_PER_SEC: '0' }, 'garbage collection pass done', opts.waitS);
  say('scale: one scrub pass at the default rate (standalone node, GC off)');
  const scrub = await measurePass(redisUrl, dataDir, { GC_INTERVAL_MS: '0' }, 'scrub pass done', opts.waitS);
  return { blobs: opts.blobs, garbage: opts.garbage, gc, scrub };
}
