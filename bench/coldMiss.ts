// Cold misses: fresh files read once on the node that is not one of their homes, so the blob travels from a peer
// while it is streamed to the client. Beside it, for scale: the same read on a home node (first read, then warm),
// and Varnish's first read of a fresh file from nginx (its miss), its second read, and nginx itself.
import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { metric } from '../test/helpers/metrics.js';
import { fileUrl, keepAliveAgent, putFile, sha256Hex, timed, type Timed } from './client.js';
import { say, type Ctx } from './context.js';
import { summarize, type Summary } from './stats.js';

export const COLD_PATHS = ['kubecdnMiss', 'kubecdnHomeFirst', 'kubecdnHomeWarm', 'varnishMiss', 'varnishHit', 'nginx'] as const;
export type ColdPath = (typeof COLD_PATHS)[number];

export interface ColdSizeResult {
  readonly size: string;
  readonly files: number;
  /** time to last byte, ms, per read path */
  readonly ms: Readonly<Record<ColdPath, Summary>>;
  /** every read, ms, in file order */
  readonly samples: Readonly<Record<ColdPath, readonly number[]>>;
}

const WARMUP_FILES = 6;
const emptySamples = (): Record<ColdPath, number[]> => ({ kubecdnMiss: [], kubecdnHomeFirst: [], kubecdnHomeWarm: [], varnishMiss: [], varnishHit: [], nginx: [] });

export interface ColdMissResult {
  readonly sizes: readonly ColdSizeResult[];
  /** reads on the non-home node that said X-Cache: MISS, out of all of them (must be all) */
  readonly missHeaders: number;
  readonly reads: number;
  /** kubecdn_peer_fetches_total added on the non-home nodes (one per file expected) */
  readonly peerFetches: number;
  /** reads whose bytes did not hash to what was written (must be 0) */
  readonly corrupt: number;
}

interface Agents {
  get(base: string): http.Agent;
}

export async function runColdMiss(ctx: Ctx): Promise<ColdMissResult> {
  const pool = new Map<string, http.Agent>();
  const agents: Agents = {
    get: (base) => pool.get(base) ?? (pool.set(base, keepAliveAgent(1)).get(base) as http.Agent),
  };
  // One warm connection per server, so no read below pays for a TCP connect.
  for (const base of [ctx.nginx.url, ctx.varnish.url, ...ctx.cluster.nodes.map((n) => n.url)]) await timed(`${base}/healthz`, { agent: agents.get(base) });
  // Unmeasured warm-up files: the first miss between two nodes also opens their peer connection (100+ ms here).
  const scratch = emptySamples();
  for (let i = 0; i < WARMUP_FILES; i++) await oneFile(ctx, agents, { name: `cold/warmup-${i}.bin`, bytes: 64 * 1024 }, scratch, { missHeaders: 0, reads: 0, corrupt: 0 });
  const peerBefore = await peerFetchesAll(ctx);
  const tally = { missHeaders: 0, reads: 0, corrupt: 0 };
  const sizes: ColdSizeResult[] = [];
  for (const [label, bytes, n] of [['64KiB', 64 * 1024, ctx.plan.cold64KiB], ['1MiB', 1024 * 1024, ctx.plan.cold1MiB]] as const) {
    say(`cold misses: ${n} fresh ${label} files`);
    const ms = emptySamples();
    for (let i = 0; i < n; i++) await oneFile(ctx, agents, { name: `cold/${label}-${i}.bin`, bytes }, ms, tally);
    const summaries = Object.fromEntries(COLD_PATHS.map((p) => [p, summarize(ms[p])])) as Record<ColdPath, Summary>;
    const samples = Object.fromEntries(COLD_PATHS.map((p) => [p, ms[p].map((v) => Math.round(v * 100) / 100)])) as Record<ColdPath, number[]>;
    sizes.push({ size: label, files: n, ms: summaries, samples });
  }
  for (const a of pool.values()) a.destroy();
  return { sizes, ...tally, peerFetches: (await peerFetchesAll(ctx)) - peerBefore };
}

async function oneFile(
  ctx: Ctx,
  agents: Agents,
  file: { name: string; bytes: number },
  ms: Record<ColdPath, number[]>,
  tally: { missHeaders: number; reads: number; corrupt: number },
): Promise<void> {
  const { cluster } = ctx;
  const body = randomBytes(file.bytes);
  const sha = sha256Hex(body);
  const miss = cluster.nonHomeOf(sha);
  const home = cluster.homesOf(sha)[0] ?? miss;
  // Written through a home: a non-home writer keeps its upload copy (the next read there would be a hit).
  await putFile(home.url, file.name, body, cluster.token);
  await fs.mkdir(path.dirname(path.join(ctx.www, file.name)), { recursive: true });
  await fs.writeFile(path.join(ctx.www, file.name), body, { mode: 0o644 });
  const read = async (p: ColdPath, base: string, url: string): Promise<Timed> => {
    const r = await timed(url, { agent: agents.get(base) });
    if (r.status !== 200) throw new Error(`${p} ${url}: ${r.status}`);
    if (r.sha256 !== sha) tally.corrupt++;
    ms[p].push(r.ms);
    return r;
  };
  const m = await read('kubecdnMiss', miss.url, fileUrl(miss.url, file.name));
  tally.reads++;
  if (m.headers['x-cache'] === 'MISS') tally.missHeaders++;
  await read('kubecdnHomeFirst', home.url, fileUrl(home.url, file.name));
  await read('kubecdnHomeWarm', home.url, fileUrl(home.url, file.name));
  const v = await read('varnishMiss', ctx.varnish.url, `${ctx.varnish.url}/${file.name}`);
  if (String(v.headers['x-varnish']).includes(' ')) throw new Error(`Varnish's first read of ${file.name} was a hit`);
  await read('varnishHit', ctx.varnish.url, `${ctx.varnish.url}/${file.name}`);
  await read('nginx', ctx.nginx.url, `${ctx.nginx.url}/${file.name}`);
}

async function peerFetchesAll(ctx: Ctx): Promise<number> {
  const counts = await Promise.all(ctx.cluster.nodes.map((n) => metric(n.url, 'kubecdn_peer_fetches_total')));
  return counts.reduce((a, b) => a + b, 0);
}
