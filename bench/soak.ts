// `npm run soak`: a bounded soak run (docs/soak.md). Starts a 3-node cluster (R=2) of the built program on loopback,
// runs a mixed read/write load for a fixed time from a fixed number of workers under a global request cap, checks
// every answer (5xx, bytes against ETags and against what it wrote), samples each node's RSS and open fds, audits
// the histories, prints a markdown report and writes the JSON under bench/results/. Exit code 1 when a verdict fails.
// Wiring only: the load in soakLoad.ts, the checks in soakReads.ts / soakWrites.ts, the verdicts in soakReport.ts.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { startCluster, type BenchCluster } from './cluster.js';
import { ROOT, say } from './context.js';
import { describeMachine } from './machine.js';
import { cleanup, installCleanupHandlers, makeRunDir } from './proc.js';
import { auditHistories, clusterViews, scanLog } from './soakAudit.js';
import type { OpCtx, SoakNode } from './soakCtx.js';
import { idleTimeoutAgent } from './soakHttp.js';
import { Known } from './soakKnown.js';
import { runLoad } from './soakLoad.js';
import { renderMarkdown, verdicts, type SoakOptions, type SoakResult } from './soakReport.js';
import { startSampler } from './soakSamples.js';
import { Tally } from './soakTally.js';
import { warmHotCaches } from './soakWarm.js';

/** A socket silent for this long is given up (the request counts as a transport error). */
const IDLE_MS = 30_000;
/** The node's HOT_CACHE_MAX_BYTES default (node/src/config.ts). */
const DEFAULT_HOT_CACHE_BYTES = 64 * 1024 * 1024;
/** Requests still running when the time is up get this long to finish. */
const DRAIN_MS = 30_000;

const positive = (max: number) => (raw: string): number => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > max) throw new InvalidArgumentError(`a number above 0 and at most ${max}`);
  return n;
};

const program = new Command()
  .name('npm run soak --')
  .description('a bounded soak run against a 3-node cluster on loopback; see docs/soak.md')
  .option('--minutes <n>', 'length of the load', positive(24 * 60), 5)
  .option('--seconds <n>', 'length of the load in seconds, instead of --minutes (a short smoke run)', positive(24 * 3600))
  .option('--workers <n>', 'concurrent workers', positive(256), 16)
  .option('--max-requests <n>', 'global request cap (default: 1000 per second of load)', positive(1e9))
  .option('--sample-every <s>', 'seconds between RSS/fd samples', positive(600), 5)
  .option('--rss-slack-mb <MiB>', 'RSS growth allowed in the second half', positive(1e6), 32)
  .option('--fd-slack <n>', 'open-fd growth allowed in the second half', positive(1e6), 32)
  .option('--no-warm', 'skip filling the hot caches before the load (their filling then shows as RSS growth)')
  .option('--keep-tmp', 'keep the run directory (node logs, data) instead of removing it')
  .option('--node-env <KEY=VALUE>', 'a setting for every node, repeatable (e.g. HOT_CACHE_MAX_BYTES=8388608)', collectEnv, {});

function collectEnv(pair: string, into: Record<string, string>): Record<string, string> {
  const eq = pair.indexOf('=');
  if (eq < 1) throw new InvalidArgumentError('expected KEY=VALUE');
  return { ...into, [pair.slice(0, eq)]: pair.slice(eq + 1) };
}

interface Cli {
  minutes: number;
  seconds?: number;
  workers: number;
  maxRequests?: number;
  sampleEvery: number;
  rssSlackMb: number;
  fdSlack: number;
  keepTmp?: boolean;
  warm: boolean;
  nodeEnv: Record<string, string>;
}

function options(cli: Cli): SoakOptions {
  const seconds = Math.round(cli.seconds ?? cli.minutes * 60);
  return {
    seconds,
    workers: Math.floor(cli.workers),
    maxRequests: Math.floor(cli.maxRequests ?? seconds * 1000),
    sampleEveryS: cli.sampleEvery,
    rssSlackMiB: cli.rssSlackMb,
    fdSlack: cli.fdSlack,
    keepTmp: cli.keepTmp === true,
    warm: cli.warm,
    nodeEnv: cli.nodeEnv,
  };
}

/** 8 text names (read back through /read and /read_version; they sort first) and 32 binary ones. */
function names(): { textNames: string[]; binaryNames: string[] } {
  const two = (i: number): string => String(i).padStart(2, '0');
  return {
    textNames: Array.from({ length: 8 }, (_, i) => `soak/1-text-${two(i)}.txt`),
    binaryNames: Array.from({ length: 32 }, (_, i) => `soak/2-bin-${two(i)}`),
  };
}

const failed = (e: unknown): { error: string } => ({ error: e instanceof Error ? e.message : String(e) });

type Measured = Pick<SoakResult, 'load' | 'tally' | 'samples' | 'audit' | 'cluster'>;

async function measure(cluster: BenchCluster, o: SoakOptions): Promise<Measured> {
  const nodes: SoakNode[] = cluster.nodes.map((n) => ({ id: n.id, url: n.url, agent: idleTimeoutAgent(o.workers * 2, IDLE_MS) }));
  const tally = new Tally();
  const ctx: OpCtx = { nodes, token: cluster.token, known: new Known(), tally, ...names() };
  if (o.warm) {
    const hot = Number(o.nodeEnv.HOT_CACHE_MAX_BYTES ?? DEFAULT_HOT_CACHE_BYTES);
    say(`warm-up: filling each node's ${(hot / 1048576).toFixed(0)} MiB hot cache`);
    const w = await warmHotCaches(nodes, cluster.token, hot);
    say(`warm-up: ${w.files} files of ${(w.bytes / w.files / 1024).toFixed(0)} KiB written and read from every node; hot caches now ${w.cached.map((b) => (b / 1048576).toFixed(0)).join(' / ')} MiB`);
  }
  const sampler = startSampler(
    cluster.nodes.map((n) => ({ id: n.id, pid: n.pid, url: n.url })),
    o.sampleEveryS * 1000,
    Math.ceil((o.seconds * 1000 + DRAIN_MS) / (o.sampleEveryS * 1000)) + 2,
  );
  say(`load: ${o.workers} workers for ${o.seconds} s (cap ${o.maxRequests} requests)`);
  try {
    const load = await runLoad(ctx, { seconds: o.seconds, workers: o.workers, maxRequests: o.maxRequests, drainMs: DRAIN_MS });
    tally.closed = true;
    const samples = await sampler.stop();
    say(`load done: ${tally.summary().requests} requests in ${load.seconds.toFixed(0)} s; auditing histories`);
    const first = nodes[0] as SoakNode;
    const audit = await auditHistories(first, ctx.known).catch(failed);
    const views = await clusterViews(nodes).catch(failed);
    return { load, tally: tally.summary(), samples, audit, cluster: views };
  } finally {
    tally.closed = true;
    for (const n of nodes) n.agent.destroy();
  }
}

async function run(o: SoakOptions): Promise<SoakResult> {
  const runDir = await makeRunDir(o.keepTmp);
  if (o.keepTmp) say(`run directory (kept): ${runDir}`);
  const machine = await describeMachine();
  const startedAt = new Date().toISOString();
  say('starting a 3-node kubecdn cluster (R=2) with its own redis-server');
  const cluster = await startCluster(runDir, 'soak', { env: o.nodeEnv });
  if (Object.keys(o.nodeEnv).length > 0) say(`node settings: ${JSON.stringify(o.nodeEnv)}`);
  let measured: Measured;
  let stopAt = Date.now();
  try {
    measured = await measure(cluster, o);
  } finally {
    stopAt = Date.now();
    await cluster.stop();
  }
  const logs = await Promise.all(cluster.nodes.map((n) => scanLog(n.id, n.logFile, stopAt)));
  const nodes = cluster.nodes.map((n) => n.id);
  return { machine, options: o, startedAt, finishedAt: new Date().toISOString(), nodes, replication: cluster.replication, ...measured, logs };
}

async function writeJson(r: SoakResult): Promise<string> {
  const dir = path.join(ROOT, 'bench/results');
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `soak-${r.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  await fs.writeFile(file, `${JSON.stringify({ ...r, verdicts: verdicts(r) }, null, 2)}\n`);
  return file;
}

async function main(): Promise<number> {
  const o = options(program.parse().opts<Cli>());
  installCleanupHandlers();
  try {
    const result = await run(o);
    process.stdout.write(`\n${renderMarkdown(result)}`);
    say(`written: ${await writeJson(result)}`);
    return verdicts(result).every((v) => v.pass) ? 0 : 1;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    process.stderr.write(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await cleanup();
    process.exit(1);
  },
);
