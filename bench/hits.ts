// Cache hits: the same random bytes served by nginx (from disk, sendfile), Varnish (from memory, after one fetch
// from that nginx), two plain node:http servers (the controls, bench/baselineServer.ts: from memory, and streaming
// from disk) and a kubecdn home node (local copy), measured with identical wrk runs, interleaved by round. Sizes the
// small hot tier does not take are also read from a standalone kubecdn node with its large tier off (kubecdnDisk.ts):
// kubecdn's disk path, since the cluster answers a big blob read more than once from memory.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pLimit from 'p-limit';
import { withPlacement, type Isolate, type Placement } from './affinity.js';
import { fileUrl, keepAliveAgent, putFile, sha256Hex, timed } from './client.js';
import { say, type Ctx } from './context.js';
import { HIT_SIZES, type FileSize } from './plan.js';
import { median, ratio, roundOrder } from './stats.js';
import { runWrk, type WrkRun, type WrkSettings } from './wrk.js';

export const HIT_SERVERS = ['nginx', 'varnish', 'node', 'nodeDisk', 'kubecdn', 'kubecdnDisk'] as const;
export type HitServer = (typeof HIT_SERVERS)[number];
/** Measured at every size; kubecdnDisk only above SMALL_TIER_MAX_BYTES. */
type AlwaysServer = Exclude<HitServer, 'kubecdnDisk'>;

/** The node's HOT_CACHE_MAX_OBJECT_BYTES default (node/src/config.ts): bigger blobs go to the large tier. */
export const SMALL_TIER_MAX_BYTES = 1024 * 1024 + 64 * 1024;

/** The servers measured for a size. Pure. */
export const serversFor = (bytes: number): readonly HitServer[] =>
  bytes > SMALL_TIER_MAX_BYTES ? HIT_SERVERS : HIT_SERVERS.filter((s) => s !== 'kubecdnDisk');

export interface HitServerResult {
  readonly url: string;
  readonly runs: readonly WrkRun[];
  /** medians over the measured rounds */
  readonly rps: number | undefined;
  readonly p99Ms: number | undefined;
  /** body bytes per second (req/s x file size), in MB/s (10^6) */
  readonly payloadMBps: number | undefined;
  readonly valid: boolean;
  readonly problems: readonly string[];
}

export interface HitSizeResult {
  readonly size: string;
  readonly bytes: number;
  /** the kubecdn node measured: a home of the blob (a local copy) */
  readonly kubecdnNode: string;
  readonly servers: Readonly<Record<AlwaysServer, HitServerResult>> & { readonly kubecdnDisk?: HitServerResult };
  readonly vsNginx: number | undefined;
  readonly vsVarnish: number | undefined;
  /** kubecdn / the plain node:http server: what kubecdn's own work costs */
  readonly vsNode: number | undefined;
  /** the plain node:http server / nginx: the most node:http allows here */
  readonly nodeVsNginx: number | undefined;
  /** kubecdn / node:http streaming from disk: what kubecdn's disk path costs over Node's plainest one */
  readonly vsNodeDisk: number | undefined;
  /** node:http streaming from disk / nginx (sendfile): what Node allows from disk here */
  readonly nodeDiskVsNginx: number | undefined;
  /** kubecdn's disk path (large tier off) / nginx, and / node:http from disk; absent below the large tier's sizes */
  readonly diskPathVsNginx?: number | undefined;
  readonly diskPathVsNodeDisk?: number | undefined;
  readonly p99VsNginx: number | undefined;
  /** Varnish's own counters over this size's runs: proof that it answered from its cache */
  readonly varnishCache: { readonly hits: number; readonly misses: number };
}

export interface HitsResult {
  readonly wrk: WrkSettings & { readonly rounds: number; readonly warmS: number };
  /** wrk's CPUs and the servers' during the rounds (bench/affinity.ts); none on a 1-CPU machine */
  readonly placement: Placement | undefined;
  /** the write load every kubecdn node took first (issue 17: a node slowed down after a few thousand writes) */
  readonly preWrites: { readonly putsPerNode: number; readonly seconds: number };
  readonly sizes: readonly HitSizeResult[];
}

export async function runHits(ctx: Ctx): Promise<HitsResult> {
  const { plan } = ctx;
  const wrk: WrkSettings = { connections: plan.connections, durationS: plan.durationS, timeoutS: plan.wrkTimeoutS };
  const preWrites = await writeLoad(ctx, plan.hitsPreWrites);
  const { result: sizes, placement } = await withPlacement(async (isolate) => {
    const out: HitSizeResult[] = [];
    for (const size of HIT_SIZES) out.push(await measureSize(ctx, size, wrk, isolate));
    return out;
  });
  return { wrk: { ...wrk, rounds: plan.rounds, warmS: plan.warmS }, placement, preWrites, sizes };
}

/**
 * Hits are measured on processes with a history, not fresh ones: every node first takes `n` small PUTs (1 KiB, new
 * content each, 8 at a time), as a node in service has. A fresh node once served 16 MiB at twice the rate of the same
 * process after 2,500 writes.
 */
async function writeLoad(ctx: Ctx, n: number): Promise<{ putsPerNode: number; seconds: number }> {
  const { cluster } = ctx;
  say(`hits: ${n} small PUTs on each of the ${cluster.nodes.length} nodes first`);
  const started = Date.now();
  await Promise.all(
    cluster.nodes.map(async (node) => {
      const agent = keepAliveAgent(8);
      const limit = pLimit(8);
      await Promise.all(Array.from({ length: n }, (_, i) => limit(() => putFile(node.url, `prewrite/${node.id}/${i}`, randomBytes(1024), cluster.token, agent))));
      agent.destroy();
    }),
  );
  return { putsPerNode: n, seconds: (Date.now() - started) / 1000 };
}

async function measureSize(ctx: Ctx, size: FileSize, wrk: WrkSettings, isolate: Isolate): Promise<HitSizeResult> {
  const { plan } = ctx;
  const list = serversFor(size.bytes);
  const urls = await prepare(ctx, size, list);
  say(`hits ${size.label}: warming (${plan.warmS} s each), then ${plan.rounds} rounds of ${plan.durationS} s per server`);
  const pid = pidsOf(ctx, urls.kubecdnNode);
  for (const s of list) await runWrk(urls.url[s] ?? '', { ...wrk, durationS: plan.warmS }, await isolate(pid[s]));
  const before = await varnishCounters(ctx);
  const runs: Record<HitServer, WrkRun[]> = { nginx: [], varnish: [], node: [], nodeDisk: [], kubecdn: [], kubecdnDisk: [] };
  for (const { round, server } of roundOrder(list, plan.rounds)) {
    const run = await runWrk(urls.url[server] ?? '', wrk, await isolate(pid[server]));
    runs[server].push(run);
    say(`  round ${round} ${server.padEnd(8)} ${run.rps.toFixed(0).padStart(7)} req/s  p99 ${run.latencyMs.p99 ?? '?'} ms${run.valid ? '' : `  INVALID: ${run.problem}`}`);
  }
  const after = await varnishCounters(ctx);
  const servers = Object.fromEntries(list.map((s) => [s, summarizeRuns(urls.url[s] ?? '', runs[s], size.bytes)])) as HitSizeResult['servers'];
  return {
    size: size.label,
    bytes: size.bytes,
    kubecdnNode: urls.kubecdnNode,
    servers,
    vsNginx: ratio(servers.kubecdn.rps, servers.nginx.rps),
    vsVarnish: ratio(servers.kubecdn.rps, servers.varnish.rps),
    vsNode: ratio(servers.kubecdn.rps, servers.node.rps),
    nodeVsNginx: ratio(servers.node.rps, servers.nginx.rps),
    vsNodeDisk: ratio(servers.kubecdn.rps, servers.nodeDisk.rps),
    nodeDiskVsNginx: ratio(servers.nodeDisk.rps, servers.nginx.rps),
    ...(servers.kubecdnDisk && {
      diskPathVsNginx: ratio(servers.kubecdnDisk.rps, servers.nginx.rps),
      diskPathVsNodeDisk: ratio(servers.kubecdnDisk.rps, servers.nodeDisk.rps),
    }),
    p99VsNginx: ratio(servers.kubecdn.p99Ms, servers.nginx.p99Ms),
    varnishCache: { hits: after.hits - before.hits, misses: after.misses - before.misses },
  };
}

/** The process measured as each server (kubecdn: the home node read). */
function pidsOf(ctx: Ctx, kubecdnNode: string): Record<HitServer, number> {
  return {
    nginx: ctx.nginx.child.pid,
    varnish: ctx.varnish.child.pid,
    node: ctx.baseline.child.pid,
    nodeDisk: ctx.baselineDisk.child.pid,
    kubecdn: ctx.cluster.node(kubecdnNode).pid,
    kubecdnDisk: ctx.kubecdnDisk.pid,
  };
}

/** Medians of the rounds; the result is valid only if every round was. Pure. */
export function summarizeRuns(url: string, runs: readonly WrkRun[], bytes: number): HitServerResult {
  const rps = median(runs.map((r) => r.rps));
  const p99 = runs.map((r) => r.latencyMs.p99).filter((v): v is number => v !== undefined);
  const problems = runs.filter((r) => !r.valid).map((r) => r.problem ?? 'invalid');
  return {
    url,
    runs,
    rps,
    p99Ms: median(p99),
    payloadMBps: rps === undefined ? undefined : (rps * bytes) / 1e6,
    valid: runs.length > 0 && problems.length === 0,
    problems,
  };
}

type Urls = Record<AlwaysServer, string> & { kubecdnDisk?: string };

/** The same bytes in nginx's root and in kubecdn (and, for big sizes, in the disk-path node), checked (checkServed). */
async function prepare(ctx: Ctx, size: FileSize, list: readonly HitServer[]): Promise<{ url: Urls; kubecdnNode: string }> {
  const { cluster } = ctx;
  const bytes = randomBytes(size.bytes);
  const sha = sha256Hex(bytes);
  const name = `hits/${size.label}.bin`;
  await fs.mkdir(path.join(ctx.www, 'hits'), { recursive: true });
  await fs.writeFile(path.join(ctx.www, name), bytes, { mode: 0o644 });
  await putFile(cluster.nodes[0]?.url ?? '', name, bytes, cluster.token);
  const home = cluster.homesOf(sha)[0];
  if (!home) throw new Error(`no home for ${name}`);
  const url: Urls = {
    nginx: `${ctx.nginx.url}/${name}`,
    varnish: `${ctx.varnish.url}/${name}`,
    node: `${ctx.baseline.url}/${name}`,
    nodeDisk: `${ctx.baselineDisk.url}/${name}`,
    kubecdn: fileUrl(home.url, name),
  };
  if (list.includes('kubecdnDisk')) {
    await putFile(ctx.kubecdnDisk.url, name, bytes, ctx.kubecdnDisk.token);
    url.kubecdnDisk = fileUrl(ctx.kubecdnDisk.url, name);
  }
  await checkServed(url, list, sha, `${name} on ${home.id}`);
  return { url, kubecdnNode: home.id };
}

/**
 * Every server serves the bytes; kubecdn answers from a local copy (X-Cache: HIT) and Varnish's second answer comes
 * from its cache (X-Varnish carries two transaction ids).
 */
async function checkServed(url: Urls, list: readonly HitServer[], sha: string, what: string): Promise<void> {
  for (const s of list) {
    const r = await timed(url[s] ?? '');
    if (r.status !== 200 || r.sha256 !== sha) throw new Error(`${s} ${url[s]}: status ${r.status}, sha256 ${r.sha256 === sha ? 'ok' : 'differs'}`);
  }
  const k = await timed(url.kubecdn);
  if (k.headers['x-cache'] !== 'HIT') throw new Error(`kubecdn: ${what} (a home) answered X-Cache: ${String(k.headers['x-cache'])}`);
  const v = await timed(url.varnish);
  if (String(v.headers['x-varnish'] ?? '').split(' ').length !== 2) {
    throw new Error(`Varnish did not cache ${what}: X-Varnish ${String(v.headers['x-varnish'])}, Age ${String(v.headers.age)}`);
  }
}

const exec = promisify(execFile);

/** MAIN.cache_hit / MAIN.cache_miss from varnishstat (0/0 when it cannot be read: reported, not fatal). */
async function varnishCounters(ctx: Ctx): Promise<{ hits: number; misses: number }> {
  try {
    const { stdout } = await exec('varnishstat', ['-n', ctx.varnish.dir, '-1', '-f', 'MAIN.cache_hit', '-f', 'MAIN.cache_miss']);
    const field = (f: string): number => Number(new RegExp(`^MAIN\\.${f}\\s+(\\d+)`, 'm').exec(stdout)?.[1] ?? 0);
    return { hits: field('cache_hit'), misses: field('cache_miss') };
  } catch {
    return { hits: 0, misses: 0 };
  }
}
