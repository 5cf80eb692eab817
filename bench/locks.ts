// Lock latency, per LOCK_MODE, each on a fresh three-node cluster. Two different locks are measured:
// - the write path's per-name lock (what LOCK_MODE selects): whole PUT latency plus the node's own
//   kubecdn_lock_wait_seconds histogram (time waiting for the lock only), uncontended and with one writer per node;
// - the lock API (POST/DELETE /locks/{name}), which is a Redis lease in every mode (docs/api.md#locks).
// LOCK_MODE=local serializes writers within one node only (the commit's compare-and-set orders the rest).
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { metric } from '../test/helpers/metrics.js';
import { auth, keepAliveAgent, put, timed } from './client.js';
import { startCluster, type BenchCluster, type BenchNode } from './cluster.js';
import { say } from './context.js';
import type { Plan } from './plan.js';
import { summarize, type Summary } from './stats.js';

export const LOCK_MODES = [
  { mode: 'redis', label: 'redis (lease + fencing)' },
  { mode: 'ricart-agrawala', label: 'ricart-agrawala' },
  { mode: 'local', label: 'local (single node only)' },
] as const;

export interface WritePathResult {
  readonly writes: number;
  readonly clients: number;
  /** whole PUT, ms */
  readonly putMs: Summary;
  /** mean time a write waited for its lock, from kubecdn_lock_wait_seconds (sum/count) over all nodes, ms */
  readonly meanWaitMs: number | undefined;
  readonly acquisitions: number;
  readonly contended: number;
  readonly commitRetries: number;
  /** answers by HTTP status (anything but 201 is a failed write) */
  readonly statuses: Readonly<Record<string, number>>;
}

export interface LockApiResult {
  readonly clients: number;
  readonly cycles: number;
  readonly acquireMs: Summary;
  readonly releaseMs: Summary;
  readonly failures: number;
}

export interface LockModeResult {
  readonly mode: string;
  readonly label: string;
  readonly writeSameName: WritePathResult;
  readonly writeDistinctNames: WritePathResult;
  readonly writeContended: WritePathResult;
  readonly apiUncontended: LockApiResult;
  readonly apiContended: LockApiResult;
}

export async function runLocks(plan: Plan, runDir: string): Promise<LockModeResult[]> {
  const out: LockModeResult[] = [];
  for (const { mode, label } of LOCK_MODES) {
    say(`locks: LOCK_MODE=${mode} on a fresh 3-node cluster`);
    const cluster = await startCluster(runDir, `locks-${mode}`, { env: { LOCK_MODE: mode } });
    try {
      out.push({ mode, label, ...(await measureMode(plan, cluster)) });
    } finally {
      await cluster.stop();
    }
  }
  return out;
}

async function measureMode(plan: Plan, cluster: BenchCluster): Promise<Omit<LockModeResult, 'mode' | 'label'>> {
  const nodes = cluster.nodes;
  const first = nodes.slice(0, 1);
  const writeSameName = await writes(cluster, first, plan.lockWrites, () => 'locks/same', '');
  let i = 0;
  const writeDistinctNames = await writes(cluster, first, plan.lockWrites, () => `locks/distinct-${i++}`, '');
  const writeContended = await writes(cluster, nodes, plan.lockContendedPerClient, () => 'locks/hot', '?waitMs=5000');
  const apiUncontended = await lockApi(cluster, first, plan.lockApiCycles, 'api-solo');
  const apiContended = await lockApi(cluster, nodes, plan.lockContendedPerClient, 'api-hot');
  return { writeSameName, writeDistinctNames, writeContended, apiUncontended, apiContended };
}

const LOCK_COUNTERS = ['kubecdn_lock_wait_seconds_sum', 'kubecdn_lock_wait_seconds_count', 'kubecdn_lock_acquisitions_total', 'kubecdn_lock_contended_total', 'kubecdn_commit_retries_total'] as const;

async function counters(cluster: BenchCluster): Promise<number[]> {
  const per = await Promise.all(cluster.nodes.map((n) => Promise.all(LOCK_COUNTERS.map((c) => metric(n.url, c)))));
  return LOCK_COUNTERS.map((_, i) => per.reduce((sum, node) => sum + (node[i] ?? 0), 0));
}

/** `perClient` sequential writes of fresh 1 KiB contents from one client per given node, all clients at once. */
async function writes(cluster: BenchCluster, clients: readonly BenchNode[], perClient: number, name: () => string, query: string): Promise<WritePathResult> {
  const before = await counters(cluster);
  const statuses: Record<string, number> = {};
  const ms: number[] = [];
  await Promise.all(
    clients.map(async (node) => {
      const agent = keepAliveAgent(1);
      for (let n = 0; n < perClient; n++) {
        const r = await put(node.url, name(), randomBytes(1024), { token: cluster.token, agent, query });
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status === 201) ms.push(r.ms);
      }
      agent.destroy();
    }),
  );
  const d = (await counters(cluster)).map((v, i) => v - (before[i] ?? 0));
  const [waitSum = 0, waitCount = 0, acquisitions = 0, contended = 0, commitRetries = 0] = d;
  return {
    writes: clients.length * perClient,
    clients: clients.length,
    putMs: summarize(ms),
    meanWaitMs: waitCount > 0 ? (waitSum / waitCount) * 1000 : undefined,
    acquisitions,
    contended,
    commitRetries,
    statuses,
  };
}

/** Acquire (waiting up to 5 s) then release, `cycles` times per client; one client per given node. */
async function lockApi(cluster: BenchCluster, clients: readonly BenchNode[], cycles: number, name: string): Promise<LockApiResult> {
  const acquire: number[] = [];
  const release: number[] = [];
  let failures = 0;
  await Promise.all(
    clients.map(async (node) => {
      const agent = keepAliveAgent(1);
      for (let n = 0; n < cycles; n++) failures += await cycle(node, agent, name, cluster.token, { acquire, release });
      agent.destroy();
    }),
  );
  return { clients: clients.length, cycles: clients.length * cycles, acquireMs: summarize(acquire), releaseMs: summarize(release), failures };
}

async function cycle(node: BenchNode, agent: http.Agent, name: string, token: string, ms: { acquire: number[]; release: number[] }): Promise<number> {
  const url = `${node.url}/locks/${encodeURIComponent(name)}`;
  const got = await timed(`${url}?waitMs=5000`, { method: 'POST', agent, keepBody: true, headers: { ...auth(token), 'Content-Length': '0' } });
  if (got.status !== 201) return 1;
  ms.acquire.push(got.ms);
  const lockToken = (JSON.parse(got.body?.toString() ?? '{}') as { token?: string }).token ?? '';
  const rel = await timed(url, { method: 'DELETE', agent, headers: { ...auth(token), 'X-Lock-Token': lockToken } });
  if (rel.status !== 204) return 1;
  ms.release.push(rel.ms);
  return 0;
}
