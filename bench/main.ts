// `npm run bench`: starts nginx, Varnish and a three-node kubecdn cluster on loopback, runs the scenarios the plan
// selects, prints a markdown report and writes it (and the JSON) under bench/results/. Wiring only: what to measure
// is in plan.ts, how in one file per scenario, the arithmetic in stats.ts, the report in report.ts.
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { runCoalesce } from './coalesce.js';
import { runColdMiss } from './coldMiss.js';
import { startCluster } from './cluster.js';
import { ROOT, say, type Ctx } from './context.js';
import { runHits } from './hits.js';
import { startKubecdnDisk } from './kubecdnDisk.js';
import { runLocks } from './locks.js';
import { runMinio } from './minio.js';
import { describeMachine } from './machine.js';
import { runNotify } from './notify.js';
import { makePlan, SECTIONS, type Plan, type Section } from './plan.js';
import { cleanup, installCleanupHandlers, makeRunDir } from './proc.js';
import { renderMarkdown } from './report.js';
import type { BenchResults } from './results.js';
import { NGINX, VARNISHD, startNginx, startNodeBaseline, startVarnish } from './servers.js';
import { runScale } from './scale.js';
import { runUpload } from './upload.js';

interface Options {
  quick?: boolean;
  reference?: boolean;
  only?: string;
  duration?: string;
  rounds?: string;
  connections?: string;
  scaleFiles?: string;
  keepTmp?: boolean;
}

const program = new Command()
  .name('npm run bench --')
  .description('kubecdn against nginx, Varnish and MinIO on this machine; see docs/benchmarks.md')
  .option('--quick', 'short runs (about 2-3 minutes) for developing the harness; numbers are indicative only')
  .option('--reference', 'write bench/results/reference.{json,md} (the committed reference run) instead of a dated file')
  .option('--only <sections>', `comma-separated subset of: ${SECTIONS.join(', ')}`)
  .option('--duration <seconds>', 'each measured wrk run (default 10, --quick 2)')
  .option('--rounds <n>', 'measured wrk runs per server and size, interleaved (default 3)')
  .option('--connections <n>', 'wrk connections (default 32)')
  .option('--scale-files <n>', 'files in the scale section\'s store (default 1,000,000, --quick 50,000)')
  .option('--keep-tmp', 'keep the run directory (logs, configurations) instead of removing it');

type Runner = (ctx: Ctx) => Promise<unknown>;
/** sections that start their own servers, after the shared ones are stopped */
type OwnServers = 'locks' | 'minio' | 'scale';
const OWN: Record<OwnServers, (plan: Plan, runDir: string) => Promise<unknown>> = { locks: runLocks, minio: runMinio, scale: runScale };
const RUNNERS: Record<Exclude<Section, OwnServers>, Runner> = { hits: runHits, cold: runColdMiss, coalesce: runCoalesce, upload: runUpload, notify: runNotify };

function checkTools(): void {
  const missing = [NGINX, VARNISHD, '/usr/bin/wrk', path.join(ROOT, 'dist/node/src/main.js')].filter((p) => !existsSync(p));
  if (missing.length) throw new Error(`missing: ${missing.join(', ')} (scripts/bench.sh installs the tools and builds)`);
}

async function withServers(plan: Plan, runDir: string, record: (s: Section, v: unknown) => void, fail: (s: Section, e: unknown) => void): Promise<void> {
  const sections = plan.sections.filter((s): s is Exclude<Section, OwnServers> => !(s in OWN));
  if (sections.length === 0) return;
  const www = path.join(runDir, 'www');
  await fs.mkdir(www, { recursive: true, mode: 0o755 });
  say('starting nginx, Varnish, two plain Node servers (the controls: from memory, from disk), a standalone kubecdn node with its large hot tier off and a 3-node kubecdn cluster (R=2)');
  const nginx = await startNginx(runDir, www);
  const varnish = await startVarnish(runDir, nginx.port);
  const baseline = await startNodeBaseline(runDir, www);
  const baselineDisk = await startNodeBaseline(runDir, www, 'disk');
  const kubecdnDisk = await startKubecdnDisk(runDir);
  const cluster = await startCluster(runDir, 'main');
  const ctx: Ctx = { plan, runDir, www, nginx, varnish, baseline, baselineDisk, kubecdnDisk, cluster };
  try {
    for (const s of sections) {
      await RUNNERS[s](ctx).then((v) => record(s, v), (e: unknown) => fail(s, e));
    }
  } finally {
    await Promise.all([cluster.stop(), varnish.child.stop(), nginx.child.stop(), baseline.child.stop(), baselineDisk.child.stop(), kubecdnDisk.stop()]);
  }
}

async function run(opts: Options): Promise<BenchResults> {
  const plan = makePlan(opts);
  checkTools();
  const runDir = await makeRunDir(opts.keepTmp === true);
  if (opts.keepTmp) say(`run directory (kept): ${runDir}`);
  const machine = await describeMachine();
  const startedAt = new Date().toISOString();
  const found: Partial<Record<Section, unknown>> = {};
  const errors: { section: string; message: string }[] = [];
  const record = (s: Section, v: unknown): void => void (found[s] = v);
  const fail = (s: Section, e: unknown): void => {
    const message = e instanceof Error ? e.message : String(e);
    say(`section ${s} FAILED: ${message}`);
    errors.push({ section: s, message });
  };
  await withServers(plan, runDir, record, fail).catch((e: unknown) => fail(plan.sections[0] ?? 'hits', e));
  for (const s of plan.sections.filter((s): s is OwnServers => s in OWN)) {
    await OWN[s](plan, runDir).then((v) => record(s, v), (e: unknown) => fail(s, e));
  }
  const loadAvg1AtEnd = Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
  return { machine, plan, startedAt, finishedAt: new Date().toISOString(), loadAvg1AtEnd, ...found, errors } as BenchResults;
}

async function write(results: BenchResults, markdown: string, reference: boolean): Promise<string> {
  const dir = path.join(ROOT, 'bench/results');
  await fs.mkdir(dir, { recursive: true });
  const base = reference ? 'reference' : results.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  await fs.writeFile(path.join(dir, `${base}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await fs.writeFile(path.join(dir, `${base}.md`), markdown);
  return path.join(dir, `${base}.{json,md}`);
}

async function main(): Promise<number> {
  const opts = program.parse().opts<Options>();
  installCleanupHandlers();
  try {
    const results = await run(opts);
    const markdown = renderMarkdown(results);
    process.stdout.write(`\n${markdown}`);
    say(`written: ${await write(results, markdown, opts.reference === true)}`);
    return results.errors.length ? 1 : 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await cleanup();
    process.exit(1);
  },
);
