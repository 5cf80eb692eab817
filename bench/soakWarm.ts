// Before the judged load: fill every node's hot cache to its bound. "Flat in the second half" is a question about
// leaks; a bounded cache still filling answers it wrongly. Measured (heap snapshots of one node, 2026-11-30): at
// ~100 req/s the 64 MiB hot cache was still filling at the end of a 5-minute run — Buffers 36 -> 67 MiB between
// t=120 s and t=290 s, while the rest of the JavaScript heap grew < 2 MiB. So the run first writes distinct files of
// WARM_FILE_BYTES, 1.25x the cache's bound in all, and reads each from every node, through the product like any
// client. Their names sort after the soak's own (GET /read lists in name order and is bounded).
import { randomBytes } from 'node:crypto';
import { fileUrl, sha256 } from '../test/helpers/http.js';
import { sampleValue } from '../test/helpers/metrics.js';

/** Under the hot cache's per-object limit (HOT_CACHE_MAX_OBJECT_BYTES, 1 MiB + 64 KiB by default). */
export const WARM_FILE_BYTES = 512 * 1024;
const PARALLEL = 8;

/** Pure: how many warm files fill a hot cache of `bytes` (with a quarter more, so the LRU has evicted). */
export const warmFiles = (bytes: number): number => Math.ceil((bytes * 1.25) / WARM_FILE_BYTES);

export interface WarmNode {
  readonly url: string;
}

async function check(res: Response, want: number, what: string): Promise<Buffer> {
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== want) throw new Error(`warm-up: ${what} answered ${res.status}: ${body.toString().slice(0, 200)}`);
  return body;
}

async function inParallel(count: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

/** Writes the warm files through the first node and reads each back, verified, from every node; `cached`: each node's hot cache bytes after. */
export async function warmHotCaches(nodes: readonly WarmNode[], token: string, hotBytes: number): Promise<{ files: number; bytes: number; cached: number[] }> {
  const files = warmFiles(hotBytes);
  const digests: string[] = [];
  const name = (i: number): string => `zz-warm/${String(i).padStart(5, '0')}`;
  await inParallel(files, async (i) => {
    const body = randomBytes(WARM_FILE_BYTES);
    digests[i] = sha256(body);
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/octet-stream' };
    await check(await fetch(fileUrl(nodes[0]!.url, name(i)), { method: 'PUT', body, headers }), 201, `PUT ${name(i)}`);
  });
  // twice: a node without a copy streams the first read from a home and caches it in memory from the second
  await inParallel(files * nodes.length * 2, async (k) => {
    const i = Math.floor(k / (nodes.length * 2));
    const body = await check(await fetch(fileUrl(nodes[k % nodes.length]!.url, name(i))), 200, `GET ${name(i)}`);
    if (sha256(body) !== digests[i]) throw new Error(`warm-up: GET ${name(i)} gave other bytes`);
  });
  const cached = await Promise.all(
    nodes.map(async (n) => sampleValue(await (await fetch(`${n.url}/metrics`)).text(), 'kubecdn_hot_cache_bytes')),
  );
  return { files, bytes: files * WARM_FILE_BYTES, cached };
}
