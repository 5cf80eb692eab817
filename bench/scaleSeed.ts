// Setup of the scale section, not measured as such: the store of N files is written directly, not through HTTP.
// - Redis, before the nodes start: the state three commits per file leave (write, delete, revert to 1), pipelined,
//   in batches. What each version is comes from the product's own rules (versionRules.decide), its record from the
//   commit script's format (recordJson, checked against the real script by test/integration/scaleSeed.test.ts), its
//   keys from keys.ts. Through the script itself it ran at ~4,000 commits/s on this (busy) machine: 12 minutes for
//   3M versions, against well under a minute for the same state written directly. The script is measured on its
//   own instead (measureCommits), on the full store, with the nodes subscribed.
// - Blobs, after the nodes start (so their start-up repair pass walks an empty store and is over at once): each
//   blob written into DATA_DIR/blobs/ab/cd/<sha256> of its R homes by the product's placement (cluster.homesOf).
import fs from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import pLimit from 'p-limit';
import { keys } from '../node/src/metadata/keys.js';
import { MetadataStore } from '../node/src/metadata/store.js';
import type { NewVersion, VersionRecord } from '../node/src/metadata/types.js';
import { decide, type Context, type Decision, type Intent } from '../node/src/metadata/versionRules.js';
import type { BenchCluster } from './cluster.js';
import { say } from './context.js';
import { batches, blobOf, blobRelPath, scaleName, sha256Of, VERSIONS_PER_FILE } from './scaleData.js';

const REDIS_BATCH = 2000;
const DISK_BATCH = 5000;
const DISK_WRITERS = 32;
const EVENTS_MAXLEN = 10_000; // the node's default EVENTS_STREAM_MAXLEN
export const SEED_NODE = 'scale-seeder';

export async function info(redis: Redis, section: string): Promise<Record<string, string>> {
  const text = await redis.info(section);
  return Object.fromEntries(text.split('\r\n').filter((l) => l.includes(':')).map((l) => l.split(':', 2) as [string, string]));
}

export const usedMemory = async (redis: Redis): Promise<number> => Number((await info(redis, 'memory')).used_memory);

/** The record the commit script stores for version `v` (scripts.ts: '{"version":' .. v .. ',' .. rest of ARGV[2]). */
export const recordJson = (v: number, version: NewVersion): string => `{"version":${v},${JSON.stringify(version).slice(1)}`;

type Committed = Extract<Decision, { action: 'commit' }>;

function mustCommit(d: Decision, what: string): Committed {
  if (d.action !== 'commit') throw new Error(`seeding ${what}: the rules said ${d.action}`);
  return d;
}

/** File i's three versions as the rules decide them: a write of its blob, a delete, a revert to version 1. */
export function versionsOf(i: number, files: number, salt: string, now: Date): VersionRecord[] {
  const blob = blobOf(i, salt);
  const ctx: Context = { policy: 'reject', node: SEED_NODE, now };
  const write: Intent = { kind: 'write', sha256: sha256Of(blob), size: blob.length, contentType: 'application/octet-stream' };
  const out: VersionRecord[] = [];
  const record = (d: Committed): VersionRecord => JSON.parse(recordJson(out.length + 1, d.version)) as VersionRecord;
  out.push(record(mustCommit(decide({ count: 0, head: undefined }, undefined, write, ctx), scaleName(i, files))));
  out.push(record(mustCommit(decide({ count: 1, head: out[0] }, undefined, { kind: 'delete' }, ctx), scaleName(i, files))));
  out.push(record(mustCommit(decide({ count: 2, head: out[1] }, undefined, { kind: 'revert', to: 1, target: out[0] }, ctx), scaleName(i, files))));
  return out;
}

/** What the three commits of file i leave: the file hash, its listing entry, the content index entry. */
function stateOf(pipe: ReturnType<Redis['pipeline']>, i: number, files: number, salt: string, now: Date): void {
  const name = scaleName(i, files);
  const vs = versionsOf(i, files, salt, now);
  // records parsed from recordJson keep its key order, so stringifying them again gives the script's bytes back
  const json = vs.map((v) => JSON.stringify(v));
  const fields: string[] = [];
  vs.forEach((v, k) => fields.push(`v:${v.version}`, json[k] as string));
  pipe.hset(keys.file(name), ...fields, 'head', json[json.length - 1] as string, 'count', String(VERSIONS_PER_FILE));
  pipe.zadd(keys.files, 0, name);
  const first = vs[0] as VersionRecord;
  pipe.hset(keys.content(first.sha256 ?? ''), 'name', name, 'version', '1', 'size', String(first.size));
}

function throwFirst(replies: [Error | null, unknown][] | null): void {
  const failed = (replies ?? []).find(([err]) => err !== null);
  if (failed) throw failed[0] as Error;
}

/** Seeds every file, REDIS_BATCH files per pipeline; returns the seconds it took. */
export async function seedRedis(redisUrl: string, files: number, salt: string): Promise<number> {
  const redis = new Redis(redisUrl);
  try {
    const started = performance.now();
    const now = new Date();
    for (const [from, to] of batches(files, REDIS_BATCH)) {
      const pipe = redis.pipeline();
      for (let i = from; i < to; i++) stateOf(pipe, i, files, salt, now);
      throwFirst(await pipe.exec());
      if (Math.floor(to / 100_000) > Math.floor(from / 100_000)) say(`scale: ${to.toLocaleString('en-US')} files in Redis`);
    }
    return (performance.now() - started) / 1000;
  } finally {
    redis.disconnect();
  }
}

export interface CommitResult {
  readonly commits: number;
  readonly seconds: number;
  readonly commitsPerSec: number;
  /** Redis' own CPU (user + sys) per commit, from INFO cpu: one Redis core's ceiling is 1e6 / this */
  readonly redisCpuUsPerCommit: number;
}

const redisCpuS = async (redis: Redis): Promise<number> => {
  const cpu = await info(redis, 'cpu');
  return Number(cpu.used_cpu_user ?? 0) + Number(cpu.used_cpu_sys ?? 0);
};

/** Two more commits (delete, then revert to 1) for `count` seeded files, through the product's commit script. */
async function deleteAndRevert(store: MetadataStore, i: number, files: number, salt: string, now: Date): Promise<void> {
  const name = scaleName(i, files);
  const ctx: Context = { policy: 'reject', node: SEED_NODE, now };
  const first = versionsOf(i, files, salt, now)[0] as VersionRecord;
  let state = await store.state(name);
  for (const intent of [{ kind: 'delete' }, { kind: 'revert', to: 1, target: first }] as Intent[]) {
    const d = mustCommit(decide(state, undefined, intent, ctx), name);
    const r = await store.commit({ name, expectedCount: state.count, version: d.version, contentMode: d.contentMode, listed: d.listed, event: d.event, fence: 0, lockToken: undefined, endLease: false });
    if (!r.ok) throw new Error(`commit ${name}: ${JSON.stringify(r)}`);
    state = { count: state.count + 1, head: r.record };
  }
}

/**
 * The commit script's throughput on the full store with every node subscribed: `count` files get a delete and a
 * revert, `concurrency` files at a time (autopipelined on one connection). Redis CPU per commit is what bounds one
 * Redis; the bench process shares the machine, so commits/s is a floor.
 */
export async function measureCommits(redisUrl: string, files: number, count: number, salt: string, concurrency = 500): Promise<CommitResult> {
  const redis = new Redis(redisUrl, { enableAutoPipelining: true });
  try {
    const store = new MetadataStore(redis, EVENTS_MAXLEN);
    const cpu0 = await redisCpuS(redis);
    const started = performance.now();
    const now = new Date();
    const limit = pLimit(concurrency);
    const n = Math.min(count, files);
    await Promise.all(Array.from({ length: n }, (_, k) => limit(() => deleteAndRevert(store, Math.floor((k * files) / n), files, salt, now))));
    const seconds = (performance.now() - started) / 1000;
    const commits = 2 * n;
    return { commits, seconds, commitsPerSec: commits / seconds, redisCpuUsPerCommit: (((await redisCpuS(redis)) - cpu0) * 1e6) / commits };
  } finally {
    redis.disconnect();
  }
}

/** Writes a blob where the product keeps it, making the fan-out directories when missing. */
export async function writeBlob(dataDir: string, sha256: string, bytes: Buffer, mtime?: Date): Promise<void> {
  const file = path.join(dataDir, blobRelPath(sha256));
  await fs.writeFile(file, bytes).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, bytes);
  });
  if (mtime) await fs.utimes(file, mtime, mtime);
}

/** Each file's blob on its R homes; returns the seconds it took and how many copies each node got. */
export async function seedBlobs(cluster: BenchCluster, files: number, salt: string): Promise<{ seconds: number; copies: Record<string, number> }> {
  const started = performance.now();
  const copies: Record<string, number> = Object.fromEntries(cluster.nodes.map((n) => [n.id, 0]));
  const limit = pLimit(DISK_WRITERS);
  for (const [from, to] of batches(files, DISK_BATCH)) {
    const writes = [];
    for (let i = from; i < to; i++) {
      const blob = blobOf(i, salt);
      const sha = sha256Of(blob);
      for (const home of cluster.homesOf(sha)) {
        copies[home.id] = (copies[home.id] ?? 0) + 1;
        writes.push(limit(() => writeBlob(home.dataDir, sha, blob)));
      }
    }
    await Promise.all(writes);
    if (Math.floor(to / 100_000) > Math.floor(from / 100_000)) say(`scale: ${to.toLocaleString('en-US')} blobs written`);
  }
  return { seconds: (performance.now() - started) / 1000, copies };
}
