// CPU placement for the wrk rounds: the server under test alone on one CPU, wrk and every other process the
// benchmark started on the other. On a 2-CPU machine, unpinned, the server's helper threads (V8's GC, libuv's pool)
// and the other processes (the cluster's other nodes' background passes, Redis) land on the server's CPU or on wrk's
// at the scheduler's whim, and a server's req/s measured that as much as its own cost: kubecdn's 1 KiB hit rate ran
// 10,467 req/s in a cluster round and 14,857 on a standalone node pinned (2026-12-02). With every server on one CPU
// together, the kubecdn cluster's repair passes landed in nginx's rounds instead (the control's 64 KiB rounds:
// 15,917, 10,630 and 6,038 req/s). Isolated, each server's whole cost (all of its threads) comes out of the same
// otherwise idle CPU: req/s compares CPU per request. What the other processes do costs wrk's CPU, not the server's.
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface Placement {
  /** taskset CPU list for wrk */
  readonly wrk: string;
  /** taskset CPU list for every server process */
  readonly servers: string;
  /** every CPU: what the servers get back afterwards */
  readonly all: string;
}

/** Pure: wrk on CPU 0, the servers on the rest; none on a single CPU (nothing to keep apart). */
export function placementFor(cpus: number): Placement | undefined {
  if (cpus < 2) return undefined;
  return { wrk: '0', servers: `1-${cpus - 1}`, all: `0-${cpus - 1}` };
}

/** Pure: the pids under `root` (not root itself) in a `ps -eo pid=,ppid=` listing. */
export function descendants(root: number, psOutput: string): number[] {
  const children = new Map<number, number[]>();
  for (const line of psOutput.split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (!Number.isInteger(pid) || !Number.isInteger(ppid)) continue;
    children.set(ppid as number, [...(children.get(ppid as number) ?? []), pid as number]);
  }
  const out: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

const setCpus = (pid: number, cpuList: string): Promise<number> =>
  exec('taskset', ['-a', '-p', '-c', cpuList, String(pid)]).then(
    () => 1,
    () => 0, // gone meanwhile
  );

/** Sets the CPU list of every thread of every process this one started; returns how many it set. */
export async function placeChildren(cpuList: string): Promise<number> {
  const { stdout } = await exec('ps', ['-eo', 'pid=,ppid=']);
  const placed = await Promise.all(descendants(process.pid, stdout).map((pid) => setCpus(pid, cpuList)));
  return placed.reduce((a: number, b) => a + b, 0);
}

/** The server `pid` (with what it forked) on the servers' CPUs, every other process this one started on wrk's. */
export async function isolate(p: Placement, pid: number): Promise<void> {
  const { stdout } = await exec('ps', ['-eo', 'pid=,ppid=']);
  const server = new Set([pid, ...descendants(pid, stdout)]);
  const others = descendants(process.pid, stdout).filter((x) => !server.has(x));
  await Promise.all([...others.map((x) => setCpus(x, p.wrk)), ...[...server].map((x) => setCpus(x, p.servers))]);
}

/** The machine's placement, or none when it has one CPU or no taskset. */
export async function machinePlacement(): Promise<Placement | undefined> {
  const placement = placementFor(os.availableParallelism());
  if (!placement) return undefined;
  return exec('taskset', ['-p', String(process.pid)]).then(
    () => placement,
    () => undefined,
  );
}

/** Before each wrk run: isolates the server about to be measured and returns wrk's CPU list (none: not pinned). */
export type Isolate = (serverPid: number) => Promise<string | undefined>;

/**
 * Runs `measure` with an `isolate` for its rounds; every process gets every CPU back afterwards, whatever happens.
 * Without a placement (one CPU, no taskset) nothing is pinned.
 */
export async function withPlacement<T>(measure: (isolate: Isolate) => Promise<T>): Promise<{ result: T; placement: Placement | undefined }> {
  const placement = await machinePlacement();
  if (!placement) return { result: await measure(() => Promise.resolve(undefined)), placement };
  try {
    const result = await measure(async (pid) => {
      await isolate(placement, pid);
      return placement.wrk;
    });
    return { result, placement };
  } finally {
    await placeChildren(placement.all);
  }
}

/** Pure: the report's words for a placement. */
export function describePlacement(p: Placement | undefined): string {
  if (!p) return 'not pinned (one CPU, or no taskset)';
  return `each run with the server under test (all of its processes and threads) alone on CPU ${p.servers}, and wrk with every other process the benchmark started on CPU ${p.wrk} (taskset; bench/affinity.ts)`;
}
