// Resident memory and open file descriptors of each node, sampled from /proc every few seconds, and the test that
// they stay flat: a leak grows for as long as the load lasts, while caches, pools and buffers fill early and then
// stay. So the second half of the run is compared with where the first half ended.
import fs from 'node:fs/promises';
import { sampleValue } from '../test/helpers/metrics.js';
import { currentRss } from './rss.js';
import { median } from './stats.js';

export interface NodeSample {
  readonly id: string;
  /** bytes; 0 when /proc could not be read (the process is gone) */
  readonly rss: number;
  /** entries of /proc/<pid>/fd; 0 when unreadable */
  readonly fds: number;
  /**
   * V8 heap in use and memory outside it (Buffers), from the node's /metrics: not judged, but they tell a growing
   * JavaScript heap from RSS the allocator keeps. undefined when /metrics did not answer.
   */
  readonly heapUsed?: number | undefined;
  readonly external?: number | undefined;
}

export interface Sample {
  /** seconds since the load started */
  readonly t: number;
  readonly nodes: readonly NodeSample[];
}

export interface Flatness {
  readonly samples: number;
  /** median of the last `tail` samples of the first half */
  readonly baseline: number;
  /** highest sample of the second half */
  readonly peak: number;
  readonly growth: number;
  readonly slack: number;
  /** growth <= slack; false too when there are fewer than 4 samples (nothing to compare) */
  readonly flat: boolean;
}

/**
 * "Flat in the second half": the highest value of the second half may exceed the median of the first half's last
 * `tail` samples by at most `slack`. The median ignores one odd sample at the end of the first half; the max of the
 * second half catches growth however late it comes. Pure.
 */
export function flatness(values: readonly number[], slack: number, tail = 5): Flatness {
  const half = Math.floor(values.length / 2);
  const first = values.slice(0, half);
  const second = values.slice(half);
  const baseline = median(first.slice(-tail)) ?? 0;
  const peak = second.length ? Math.max(...second) : 0;
  const growth = peak - baseline;
  return { samples: values.length, baseline, peak, growth, slack, flat: values.length >= 4 && growth <= slack };
}

async function fdCount(pid: number): Promise<number> {
  return fs.readdir(`/proc/${pid}/fd`).then(
    (e) => e.length,
    () => 0,
  );
}

export interface Sampled {
  readonly id: string;
  readonly pid: number;
  readonly url: string;
}

const HEAP_USED = 'nodejs_heap_size_used_bytes';
const EXTERNAL = 'nodejs_external_memory_bytes';

async function heap(url: string): Promise<{ heapUsed?: number; external?: number }> {
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    return { heapUsed: sampleValue(text, HEAP_USED), external: sampleValue(text, EXTERNAL) };
  } catch {
    return {};
  }
}

async function sampleOnce(nodes: readonly Sampled[], t: number): Promise<Sample> {
  const read = async (n: Sampled): Promise<NodeSample> => ({ id: n.id, rss: await currentRss(n.pid), fds: await fdCount(n.pid), ...(await heap(n.url)) });
  return { t, nodes: await Promise.all(nodes.map(read)) };
}

/**
 * Samples now and every `everyMs` until stopped, at most `maxSamples` times; `stop()` takes a last sample and
 * resolves with all of them.
 */
export function startSampler(nodes: readonly Sampled[], everyMs: number, maxSamples: number): { stop(): Promise<Sample[]> } {
  const t0 = Date.now();
  const samples: Sample[] = [];
  const take = async (): Promise<void> => {
    if (samples.length < maxSamples) samples.push(await sampleOnce(nodes, Math.round((Date.now() - t0) / 1000)));
  };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running = take();
  const tick = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = running.then(take).then(tick);
    }, everyMs - ((Date.now() - t0) % everyMs)); // on the grid: t = 0, 5, 10 ... despite slow reads
  };
  void running.then(tick);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      const last = samples.at(-1);
      if (!last || Date.now() - t0 - last.t * 1000 >= everyMs / 2) await take();
      return samples;
    },
  };
}
