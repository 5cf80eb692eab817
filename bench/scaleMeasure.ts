// The scale section's measurements that need no restart: Redis memory, listing pages, the hot path. All through
// the product (its HTTP API, its Redis keys as the commit left them), with a bound on every loop.
import type { Redis } from 'ioredis';
import { keys } from '../node/src/metadata/keys.js';
import { metric } from '../test/helpers/metrics.js';
import { withPlacement, type Placement } from './affinity.js';
import { fileUrl, keepAliveAgent, putFile, sha256Hex, timed } from './client.js';
import type { BenchCluster, BenchNode } from './cluster.js';
import { randomDirs, scaleName, SCALE_ROOT } from './scaleData.js';
import { info } from './scaleSeed.js';
import { median, summarize, type Summary } from './stats.js';
import { runWrk, type WrkRun, type WrkSettings } from './wrk.js';

export interface RedisMemory {
  /** used_memory after seeding minus before, per file and per version (everything: hashes, listing, index, stream) */
  readonly bytesPerFile: number;
  readonly bytesPerVersion: number;
  readonly usedMemoryMB: number;
  /** MEMORY USAGE averages over a sample: one file hash (3 versions + head), one content-index hash */
  readonly fileHashBytes: number;
  readonly contentKeyBytes: number;
  /** the listing zset and the events stream, whole */
  readonly listingZsetMB: number;
  readonly eventsStreamMB: number;
  readonly fileHashEncoding: string;
}

const MB = 1024 * 1024;

async function sampledUsage(redis: Redis, keyList: readonly string[]): Promise<number> {
  const pipe = redis.pipeline();
  for (const k of keyList) pipe.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
  const replies = (await pipe.exec()) ?? [];
  const sizes = replies.map(([, v]) => Number(v ?? 0));
  return sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length);
}

/** Bytes per file and per version from the seeding's used_memory delta, and where they go from MEMORY USAGE. */
export async function redisMemory(redis: Redis, files: number, versions: number, delta: number, samples: number): Promise<RedisMemory> {
  const idx = Array.from({ length: Math.min(samples, files) }, (_, k) => Math.floor((k * files) / Math.min(samples, files)));
  const names = idx.map((i) => scaleName(i, files));
  const fileHashBytes = await sampledUsage(redis, names.map(keys.file));
  const shas = await Promise.all(names.slice(0, 200).map(async (n) => JSON.parse((await redis.hget(keys.file(n), 'v:1')) ?? '{}') as { sha256?: string }));
  const contentKeyBytes = await sampledUsage(redis, shas.map((s) => keys.content(s.sha256 ?? 'none')));
  const whole = async (k: string): Promise<number> => Number(await redis.call('MEMORY', 'USAGE', k, 'SAMPLES', '0')) / MB;
  return {
    bytesPerFile: delta / files,
    bytesPerVersion: delta / versions,
    usedMemoryMB: Number((await info(redis, 'memory')).used_memory) / MB,
    fileHashBytes,
    contentKeyBytes,
    listingZsetMB: await whole(keys.files),
    eventsStreamMB: await whole(keys.events),
    fileHashEncoding: String(await redis.call('OBJECT', 'ENCODING', keys.file(names[0] ?? ''))),
  };
}

export interface ListingResult {
  readonly pages: number;
  readonly pageLimit: number;
  /** one page (GET /files?prefix=<folder>&limit=), ms */
  readonly pageMs: Summary;
  readonly fullListing: { readonly names: number; readonly pages: number; readonly seconds: number; readonly complete: boolean };
  /**
   * The cluster's repair passes around the listing (every node's, summed): running when it started, finished while
   * it ran. A pass over ~667,000 blobs shares Redis and the 2 cores with the listing; absent in older results.
   */
  readonly repairs?: { readonly runningAtStart: number; readonly finishedDuring: number };
}

/** Every node's repair passes: finished so far and running now, summed. */
export async function repairPasses(nodes: readonly BenchNode[]): Promise<{ finished: number; running: number }> {
  const each = await Promise.all(
    nodes.map(async (n) => [await metric(n.url, 'kubecdn_repair_passes_total', { reason: 'repair' }), await metric(n.url, 'kubecdn_repair_passes_running')] as const),
  );
  return { finished: each.reduce((a, [f]) => a + f, 0), running: each.reduce((a, [, r]) => a + r, 0) };
}

interface Page {
  readonly files: readonly { name: string }[];
  readonly nextCursor: string | null;
}

async function getPage(node: BenchNode, prefix: string, limit: number, cursor: string | null, agent: ReturnType<typeof keepAliveAgent>): Promise<{ page: Page; ms: number }> {
  const q = new URLSearchParams({ prefix, limit: String(limit), ...(cursor === null ? {} : { cursor }) });
  const r = await timed(`${node.url}/files?${q.toString()}`, { agent, keepBody: true });
  if (r.status !== 200) throw new Error(`GET /files?${q.toString()}: ${r.status}`);
  return { page: JSON.parse(r.body?.toString() ?? '{}') as Page, ms: r.ms };
}

/** `pages` first pages of random folders, then every name under the root by following cursors (bounded in time). */
export async function listing(node: BenchNode, files: number, pages: number, maxSeconds: number): Promise<ListingResult> {
  const agent = keepAliveAgent(1);
  try {
    const pageLimit = 100; // the API's default
    const ms: number[] = [];
    for (const dir of randomDirs(files, pages)) ms.push((await getPage(node, dir, pageLimit, null, agent)).ms);
    const started = performance.now();
    const deadline = started + maxSeconds * 1000;
    let cursor: string | null = null;
    let names = 0;
    let n = 0;
    do {
      const { page } = await getPage(node, SCALE_ROOT, 1000, cursor, agent);
      names += page.files.length;
      cursor = page.nextCursor;
      n++;
    } while (cursor !== null && performance.now() < deadline);
    const seconds = (performance.now() - started) / 1000;
    return { pages, pageLimit, pageMs: summarize(ms), fullListing: { names, pages: n, seconds, complete: cursor === null } };
  } finally {
    agent.destroy();
  }
}

export interface HotPathResult {
  readonly bytes: number;
  readonly node: string;
  /** wrk's CPUs and the servers' during the rounds (bench/affinity.ts) */
  readonly placement: Placement | undefined;
  readonly emptyRps: number | undefined;
  readonly fullRps: number | undefined;
  readonly ratio: number | undefined;
  readonly runs: { readonly empty: readonly WrkRun[]; readonly full: readonly WrkRun[] };
  readonly valid: boolean;
}

/** The same 1 KiB file on both clusters, on a home node (a local copy), checked to answer 200 first. */
async function hotUrl(cluster: BenchCluster, body: Buffer): Promise<{ url: string; node: string }> {
  const name = 'hot/one-kib';
  const first = cluster.nodes[0] as BenchNode;
  const put = await putFile(first.url, name, body, cluster.token);
  if (put.status !== 201) throw new Error(`PUT ${name}: ${put.status}`);
  const home = cluster.homesOf(sha256Hex(body))[0] ?? first;
  const url = fileUrl(home.url, name);
  const got = await timed(url);
  if (got.status !== 200) throw new Error(`GET ${url}: ${got.status}`);
  return { url, node: home.id };
}

/** wrk on a small file of an empty store and of the full one, rounds interleaved; medians of req/s. */
export async function hotPath(full: BenchCluster, empty: BenchCluster, wrk: WrkSettings, rounds: number): Promise<HotPathResult> {
  const body = Buffer.alloc(1024, 0x61);
  const e = await hotUrl(empty, body);
  const f = await hotUrl(full, body);
  const runs: { empty: WrkRun[]; full: WrkRun[] } = { empty: [], full: [] };
  const pid = { empty: empty.node(e.node).pid, full: full.node(f.node).pid };
  const { placement } = await withPlacement(async (isolate) => {
    await runWrk(e.url, { ...wrk, durationS: 1 }, await isolate(pid.empty)); // warm-up: connections, JIT, caches
    await runWrk(f.url, { ...wrk, durationS: 1 }, await isolate(pid.full));
    for (let r = 0; r < rounds; r++) {
      // alternate which goes first, so neither always runs on a warmer machine
      const order: ('empty' | 'full')[] = r % 2 === 0 ? ['empty', 'full'] : ['full', 'empty'];
      for (const which of order) runs[which].push(await runWrk(which === 'empty' ? e.url : f.url, wrk, await isolate(pid[which])));
    }
  });
  const emptyRps = median(runs.empty.map((x) => x.rps));
  const fullRps = median(runs.full.map((x) => x.rps));
  const valid = [...runs.empty, ...runs.full].every((x) => x.valid);
  return { bytes: body.length, node: f.node, placement, emptyRps, fullRps, ratio: emptyRps && fullRps !== undefined ? fullRps / emptyRps : undefined, runs, valid };
}
