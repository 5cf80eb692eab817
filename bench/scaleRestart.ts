// A node restart at scale: kill -9 (a SIGTERM would first run the hand-off pass, which pushes this node's blobs to
// the others for up to HANDOFF_DEADLINE_MS: a scale-down, not a restart), start it again on the same port and
// DATA_DIR with the same settings, and time (a) until /readyz answers 200 and (b) until its start-up repair pass
// reports itself done in its log ("replication pass done", with what it checked and pushed). The wait for (b) is
// bounded; a pass still running then is reported with its progress (Redis EXISTS calls per second: the pass asks
// Redis once per blob; every node's lookups count, and the others run passes too when they see the node come back).
import type { Redis } from 'ioredis';
import type { BenchCluster } from './cluster.js';
import { say } from './context.js';
import { logLines, numField, pollFor } from './scaleProbe.js';
import { info } from './scaleSeed.js';

export interface RestartResult {
  readonly node: string;
  readonly blobs: number;
  /** kill -9 to /readyz 200 (includes the process' own start) */
  readonly readySeconds: number | undefined;
  readonly repair: {
    readonly done: boolean;
    /** kill -9 to the pass' log line */
    readonly seconds: number | undefined;
    readonly checked: number | undefined;
    readonly pushed: number | undefined;
    readonly failed: number | undefined;
    readonly waitedSeconds: number;
    /** EXISTS calls per second on Redis over the wait: every node's (the others may run passes too) */
    readonly lookupsPerSec: number;
  };
}

const existsCalls = async (redis: Redis): Promise<number> => Number(/calls=(\d+)/.exec((await info(redis, 'commandstats')).cmdstat_exists ?? '')?.[1] ?? 0);

export async function measureRestart(cluster: BenchCluster, redis: Redis, id: string, blobs: number, waitS: number): Promise<RestartResult> {
  say(`scale: kill -9 ${id} (${blobs.toLocaleString('en-US')} blobs) and start it again`);
  const since = Date.now();
  const t0 = performance.now();
  const lookups0 = await existsCalls(redis);
  const node = await cluster.restart(id);
  const ready = await pollFor(async () => ((await fetch(`${node.url}/readyz`)).status === 200 ? performance.now() : undefined), 60_000);
  const readySeconds = ready === undefined ? undefined : (ready - t0) / 1000;
  say(`scale: ${id} ready after ${readySeconds?.toFixed(2) ?? '(never)'} s; waiting up to ${waitS} s for its repair pass`);
  const line = await pollFor(() => logLines(node.output(), 'replication pass done', since).find((l) => l.reason === 'repair'), waitS * 1000);
  const waitedSeconds = (performance.now() - t0) / 1000;
  const lookupsPerSec = ((await existsCalls(redis)) - lookups0) / waitedSeconds;
  const n = (k: string): number | undefined => numField(line, k);
  return {
    node: id,
    blobs,
    readySeconds,
    repair: {
      done: line !== undefined,
      seconds: line === undefined ? undefined : (line.time - since) / 1000,
      checked: n('checked'),
      pushed: n('pushed'),
      failed: n('failed'),
      waitedSeconds,
      lookupsPerSec,
    },
  };
}
