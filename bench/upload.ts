// Large files: a 1 GiB upload into the cluster (R = 2) against this machine's raw SHA-256 speed in Node (measured
// here, in the same run), the disk's sequential write speed for context, downloads from a home and from the
// non-home node (a miss streamed through), and the nodes' peak RSS during each phase.
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { auth, fileUrl, keepAliveAgent, timed } from './client.js';
import { startCluster, type BenchCluster, type BenchNode } from './cluster.js';
import { say, type Ctx } from './context.js';
import { median } from './stats.js';
import { currentRss, peakRss, resetPeakRss } from './rss.js';

const MiB = 1024 * 1024;

export interface RssPhase {
  readonly phase: string;
  /** RSS per node in MB (10^6) when the phase started: memory kept from an earlier phase shows up in the peak too */
  readonly startMB: Readonly<Record<string, number>>;
  /** peak RSS per node in MB (10^6), from VmHWM */
  readonly peakMB: Readonly<Record<string, number>>;
  /** false when VmHWM could not be reset before the phase: then it is the peak since the node started */
  readonly resetOk: boolean;
}

export interface Transfer {
  readonly node: string;
  readonly home: boolean;
  readonly seconds: number;
  readonly MBps: number;
  readonly status: number;
  readonly verified: boolean;
  readonly xCache?: string;
  /** the node's answer when it refused */
  readonly error?: string;
}

export interface UploadResult {
  readonly bytes: number;
  /** single-thread SHA-256 over an in-memory 1 MiB buffer fed bytes/1 MiB times: median of 3, MB/s */
  readonly sha256MBps: number;
  /** SHA-256 of the generated file read back from disk (usually from the page cache), MB/s */
  readonly sha256FileMBps: number;
  /** writing `bytes` sequentially then one fsync, MB/s */
  readonly diskWriteMBps: number;
  /** the cluster measured: "defaults", or the settings of the second attempt */
  readonly settings: string;
  /** why the attempt with default settings was refused (then the numbers come from `settings`) */
  readonly defaultsRefused?: string;
  readonly upload: Transfer;
  readonly uploadVsSha: number;
  readonly downloads: readonly Transfer[];
  readonly rss: readonly RssPhase[];
  readonly peakRssMB: number;
}

/** Settings of the second attempt when the first, with defaults, is refused (see docs/benchmarks.md). */
export const FALLBACK_ENV = { PEER_TIMEOUT_MS: '120000' } as const;

export async function runUpload(ctx: Ctx): Promise<UploadResult> {
  const { plan } = ctx;
  const bytes = plan.uploadBytes;
  const sha256MBps = shaSpeed(bytes);
  say(`upload: raw SHA-256 in Node ${sha256MBps.toFixed(0)} MB/s; writing ${bytes / MiB} MiB of random bytes`);
  const file = path.join(ctx.runDir, 'upload.bin');
  const sha = await randomFile(file, bytes);
  const diskWriteMBps = await diskWriteSpeed(path.join(ctx.runDir, 'disk-speed.bin'), bytes);
  const sha256FileMBps = await hashFileSpeed(file, bytes);
  const base = { bytes, sha256MBps, sha256FileMBps, diskWriteMBps };
  try {
    const phases = await transfers(ctx.cluster, file, sha, bytes);
    if (!('refused' in phases)) return { ...base, ...phases, settings: 'defaults', uploadVsSha: phases.upload.MBps / sha256MBps };
    // Refused with default settings: say so, and measure on a cluster where the peer timeout cannot cut the push.
    const settings = Object.entries(FALLBACK_ENV).map(([k, v]) => `${k}=${v}`).join(' ');
    say(`upload: refused with default settings (${phases.refused}); again on a fresh cluster with ${settings}`);
    const cluster = await startCluster(ctx.runDir, 'upload-fallback', { env: FALLBACK_ENV });
    try {
      const again = await transfers(cluster, file, sha, bytes);
      if ('refused' in again) throw new Error(`upload refused with defaults (${phases.refused}) and with ${settings} (${again.refused})`);
      return { ...base, ...again, settings, defaultsRefused: phases.refused, uploadVsSha: again.upload.MBps / sha256MBps };
    } finally {
      await cluster.stop();
    }
  } finally {
    await fs.rm(file, { force: true });
  }
}

type Phases = Pick<UploadResult, 'upload' | 'downloads' | 'rss' | 'peakRssMB'>;

/** Upload to a home, then download from that home and from the non-home node; peak RSS per phase. */
async function transfers(cluster: BenchCluster, file: string, sha: string, bytes: number): Promise<Phases | { refused: string }> {
  const target = cluster.homesOf(sha)[0] as BenchNode; // a home: it keeps the upload and pushes one replica
  const rss: RssPhase[] = [];
  say(`upload: PUT ${bytes / MiB} MiB to ${target.id} (R=${cluster.replication}) on cluster "${cluster.name}"`);
  const upload = await measured(cluster, 'upload', rss, () => put(target, file, bytes, cluster.token));
  if (upload.status !== 201) return { refused: `${upload.status} ${upload.error ?? ''}`.trim() };
  const miss = cluster.nonHomeOf(sha);
  const downloads: Transfer[] = [];
  for (const [phase, node] of [['download from a home', target], ['download from the non-home node (miss)', miss]] as const) {
    say(`upload: ${phase} (${node.id})`);
    downloads.push(await measured(cluster, phase, rss, () => download(node, sha, bytes, node !== miss)));
  }
  return { upload, downloads, rss, peakRssMB: Math.max(...rss.flatMap((p) => Object.values(p.peakMB))) };
}

/** Resets every node's peak RSS, runs the phase, then reads the peaks. */
async function measured(cluster: BenchCluster, phase: string, rss: RssPhase[], fn: () => Promise<Transfer>): Promise<Transfer> {
  const nodes = cluster.nodes;
  const resetOk = (await Promise.all(nodes.map((n) => resetPeakRss(n.pid)))).every(Boolean);
  const starts = await Promise.all(nodes.map(async (n) => [n.id, (await currentRss(n.pid)) / 1e6] as const));
  const t = await fn();
  const peaks = await Promise.all(nodes.map(async (n) => [n.id, (await peakRss(n.pid)) / 1e6] as const));
  rss.push({ phase, startMB: Object.fromEntries(starts), peakMB: Object.fromEntries(peaks), resetOk });
  return t;
}

const NAME = 'large/1GiB.bin';

async function put(node: BenchNode, file: string, bytes: number, token: string): Promise<Transfer> {
  const r = await timed(fileUrl(node.url, NAME), {
    method: 'PUT',
    body: createReadStream(file, { highWaterMark: MiB }),
    keepBody: true,
    headers: { ...auth(token), 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes) },
  });
  const seconds = r.ms / 1000;
  const t = { node: node.id, home: true, seconds, MBps: bytes / 1e6 / seconds, status: r.status, verified: r.status === 201 };
  return r.status === 201 ? t : { ...t, error: r.body?.toString().slice(0, 300) ?? '' };
}

async function download(node: BenchNode, sha: string, bytes: number, home: boolean): Promise<Transfer> {
  const agent = keepAliveAgent(1);
  const r = await timed(fileUrl(node.url, NAME), { agent });
  agent.destroy();
  const seconds = r.ms / 1000;
  const verified = r.status === 200 && r.sha256 === sha && r.bytes === bytes;
  return { node: node.id, home, seconds, MBps: r.bytes / 1e6 / seconds, status: r.status, verified, xCache: String(r.headers['x-cache']) };
}

/** Pure CPU: the same 1 MiB of random bytes hashed `bytes / 1 MiB` times, three times, median MB/s. */
function shaSpeed(bytes: number): number {
  const buf = randomFillSync(Buffer.alloc(MiB));
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const h = createHash('sha256');
    const t0 = performance.now();
    for (let n = 0; n < bytes / MiB; n++) h.update(buf);
    h.digest();
    runs.push(bytes / 1e6 / ((performance.now() - t0) / 1000));
  }
  return median(runs) ?? 0;
}

/** Streams `bytes` of fresh random data to a file (1 MiB at a time, never all in memory); returns its SHA-256. */
async function randomFile(file: string, bytes: number): Promise<string> {
  const fh = await fs.open(file, 'w');
  const h = createHash('sha256');
  const buf = Buffer.alloc(MiB);
  try {
    for (let n = 0; n < bytes / MiB; n++) {
      randomFillSync(buf);
      h.update(buf);
      await fh.write(buf);
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

/** Sequential write of `bytes`, then fsync: what the blob store's write-hash-fsync path can hope for at best. */
async function diskWriteSpeed(file: string, bytes: number): Promise<number> {
  const buf = randomFillSync(Buffer.alloc(MiB));
  const fh = await fs.open(file, 'w');
  const t0 = performance.now();
  try {
    for (let n = 0; n < bytes / MiB; n++) await fh.write(buf);
    await fh.sync();
  } finally {
    await fh.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  await fs.rm(file, { force: true });
  return bytes / 1e6 / seconds;
}

async function hashFileSpeed(file: string, bytes: number): Promise<number> {
  const h = createHash('sha256');
  const t0 = performance.now();
  for await (const chunk of createReadStream(file, { highWaterMark: MiB })) h.update(chunk as Buffer);
  h.digest();
  return bytes / 1e6 / ((performance.now() - t0) / 1000);
}
