// The scale section (issue: kubecdn with 1,000,000 files): a 3-node cluster (R=2) whose Redis is seeded through the
// product's commit script before the nodes start and whose blobs are then written straight into the nodes' stores
// (bench/scaleSeed.ts), periodic repair passes off; then, through the product: Redis memory, listing pages and a full listing, the hot path
// against an empty cluster, a node restart (bench/scaleRestart.ts), and last, with the nodes stopped (a repair pass
// may still be running when the wait for it ends), a GC and a scrub pass over one node's store (bench/scaleMaint.ts).
// The node stores (GBs, millions of inodes) are removed at the end whatever happened.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startCluster, type BenchCluster } from './cluster.js';
import { say } from './context.js';
import type { Plan } from './plan.js';
import { VERSIONS_PER_FILE, type ScalePlan } from './scaleData.js';
import { measureMaintenance, type MaintResult } from './scaleMaint.js';
import { hotPath, listing, redisMemory, repairPasses, type HotPathResult, type ListingResult, type RedisMemory } from './scaleMeasure.js';
import { measureRestart, type RestartResult } from './scaleRestart.js';
import { measureCommits, seedBlobs, seedRedis, usedMemory, type CommitResult } from './scaleSeed.js';

const execFileP = promisify(execFile);

export interface ScaleResult {
  readonly plan: ScalePlan;
  readonly files: number;
  readonly versions: number;
  /** distinct blobs (one per file), and the copies each node got (R=2) */
  readonly blobs: number;
  readonly copies: Readonly<Record<string, number>>;
  readonly seed: { readonly redisSeconds: number; readonly blobSeconds: number };
  /** the commit script's throughput on the full store (docs/scale.md: writes/s of one Redis) */
  readonly commits: CommitResult;
  readonly memory: RedisMemory;
  readonly listing: ListingResult;
  readonly hotPath: HotPathResult;
  readonly maintenance: MaintResult;
  readonly restart: RestartResult;
}

async function withEmptyCluster<T>(runDir: string, f: (c: BenchCluster) => Promise<T>): Promise<T> {
  const empty = await startCluster(runDir, 'scale-empty');
  try {
    return await f(empty);
  } finally {
    await empty.stop();
  }
}

interface Seeded {
  readonly seconds: number;
  readonly usedMemoryBefore: number;
  readonly usedMemoryAfter: number;
}

async function measure(plan: Plan, runDir: string, cluster: BenchCluster, seeded: Seeded, salt: string): Promise<ScaleResult> {
  const s = plan.scale;
  say(`scale: writing ${s.files.toLocaleString('en-US')} blobs to their ${cluster.replication} homes`);
  const disk = await seedBlobs(cluster, s.files, salt);
  const redis = new Redis(cluster.redis.redisUrl);
  try {
    const versions = s.files * VERSIONS_PER_FILE;
    const memory = await redisMemory(redis, s.files, versions, seeded.usedMemoryAfter - seeded.usedMemoryBefore, 1000);
    say(`scale: ${Math.min(s.commitFiles, s.files).toLocaleString("en-US")} files x 2 commits through the commit script`);
    const commits = await measureCommits(cluster.redis.redisUrl, s.files, s.commitFiles, salt);
    say(`scale: ${s.pages} listing pages, then the full listing`);
    const first = cluster.nodes[0] as BenchCluster['nodes'][number];
    const before = await repairPasses(cluster.nodes);
    const measured = await listing(first, s.files, s.pages, s.listingMaxS);
    const list = { ...measured, repairs: { runningAtStart: before.running, finishedDuring: (await repairPasses(cluster.nodes)).finished - before.finished } };
    say('scale: hot path, against an empty cluster started for the comparison');
    const wrk = { connections: plan.connections, durationS: plan.durationS, timeoutS: plan.wrkTimeoutS };
    const hot = await withEmptyCluster(runDir, (empty) => hotPath(cluster, empty, wrk, plan.rounds));
    const last = cluster.nodes[cluster.nodes.length - 1] as BenchCluster['nodes'][number];
    const restart = await measureRestart(cluster, redis, last.id, disk.copies[last.id] ?? 0, s.repairWaitS);
    say('scale: stopping the cluster\'s nodes (kill -9: a SIGTERM would start hand-off passes) for the GC and scrub passes');
    await Promise.all(cluster.nodes.map((n) => n.stop('SIGKILL')));
    const maintenance = await measureMaintenance(cluster.redis.redisUrl, first.dataDir, { blobs: disk.copies[first.id] ?? 0, garbage: s.garbage, waitS: s.maintWaitS, salt });
    return { plan: s, files: s.files, versions, blobs: s.files, copies: disk.copies, seed: { redisSeconds: seeded.seconds, blobSeconds: disk.seconds }, commits, memory, listing: list, hotPath: hot, maintenance, restart };
  } finally {
    redis.disconnect();
  }
}

export async function runScale(plan: Plan, runDir: string): Promise<ScaleResult> {
  const salt = randomBytes(4).toString('hex');
  const files = plan.scale.files;
  let seeded: Seeded | undefined;
  say(`scale: ${files.toLocaleString('en-US')} files x ${VERSIONS_PER_FILE} versions into Redis`);
  const cluster = await startCluster(runDir, 'scale', {
    // Periodic repair passes off (passes still run at start and on membership changes: the restart below): the
    // listing and the hot path are measured at rest, not against whichever of the nodes' passes over ~667,000 blobs
    // the clock made overlap them (by design a pass every >= 9x its own duration, ~10% of a node's time; runs where
    // 2-3 passes overlapped the listing measured 4-40x slower pages on the same code: docs/scale.md).
    env: { REPAIR_INTERVAL_MS: '0' },
    beforeNodes: async (r) => {
      const redis = new Redis(r.redisUrl);
      try {
        const usedMemoryBefore = await usedMemory(redis);
        const seconds = await seedRedis(r.redisUrl, files, salt);
        seeded = { seconds, usedMemoryBefore, usedMemoryAfter: await usedMemory(redis) };
      } finally {
        redis.disconnect();
      }
    },
  });
  try {
    if (!seeded) throw new Error('the Redis seeding did not run');
    return await measure(plan, runDir, cluster, seeded, salt);
  } finally {
    await cluster.stop();
    say('scale: removing the node stores');
    // rm -rf, not fs.rm: Node's recursive rm made a promise per entry and took over 4 minutes for 400,000 files
    await Promise.all(cluster.nodes.map((n) => execFileP('rm', ['-rf', '--', n.dataDir])));
  }
}
