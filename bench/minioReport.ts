// The kubecdn-vs-MinIO section in the report: the table of the issue (| | MinIO | kubecdn | kubecdn / MinIO |), what
// made a measurement invalid, and how it was measured, in words. Pure; bench/report.ts lays it out.
import type { CpuPerPut, GetSizeResult, MinioResult } from './minioResults.js';
import { rssTotal } from './minioResults.js';
import { WRITERS, type StoreName } from './minioStore.js';
import { ratio } from './stats.js';
import { fixed } from './targetRow.js';

export const MINIO_TABLE_HEAD = ['', 'MinIO', 'kubecdn', 'kubecdn / MinIO'];

const x = (a: number | undefined, b: number | undefined): string => fixed(ratio(a, b), 2, 'x');
const int = (n: number | undefined): string => (n === undefined ? '—' : Math.round(n).toLocaleString('en-US'));
const slash = (parts: string[]): string => parts.join(' / ');

/** The rows of the table of the issue (MINIO_TABLE_HEAD). */
export function minioTableRows(m: MinioResult): string[][] {
  const { seqPut: s, concurrentPut: c, list: l } = m;
  const small = m.gets.filter((g) => g.size !== '16MiB');
  const big = m.gets.filter((g) => g.size === '16MiB');
  const rps = (gs: readonly GetSizeResult[], n: StoreName): string => slash(gs.map((g) => int(g.stores[n].rps)));
  const rpsX = (gs: readonly GetSizeResult[]): string => slash(gs.map((g) => x(g.stores.kubecdn.rps, g.stores.minio.rps)));
  const mem = m.peakRssMiB;
  return [
    ['sequential PUT 1 KiB p50 / p99 (ms)', slash([fixed(s.minio.p50, 2), fixed(s.minio.p99, 2)]), slash([fixed(s.kubecdn.p50, 2), fixed(s.kubecdn.p99, 2)]), slash([x(s.kubecdn.p50, s.minio.p50), x(s.kubecdn.p99, s.minio.p99)])],
    [`${m.settings.writers} concurrent writers, 1 KiB objects/s`, int(c.minio.perS), int(c.kubecdn.perS), x(c.kubecdn.perS, c.minio.perS)],
    [`GET ${slash(small.map((g) => g.size))} req/s`, rps(small, 'minio'), rps(small, 'kubecdn'), rpsX(small)],
    [`GET ${slash(big.map((g) => g.size))} req/s`, rps(big, 'minio'), rps(big, 'kubecdn'), rpsX(big)],
    [`list ${m.settings.versions} versions (raw HTTP), ms p50`, fixed(l.minio.p50, 2), fixed(l.kubecdn.p50, 2), x(l.kubecdn.p50, l.minio.p50)],
    [
      'peak RSS (kubecdn: node + its Redis), MiB',
      fixed(rssTotal(mem.minio), 0),
      Object.values(mem.kubecdn).map((v) => fixed(v, 0)).join(' + '),
      x(rssTotal(mem.kubecdn), rssTotal(mem.minio)),
    ],
  ];
}

export const WRITE_TABLE_HEAD = ['', 'MinIO', 'node:http control', 'kubecdn', 'control / MinIO', 'kubecdn / control'];

const cpuTotal = (c: CpuPerPut): number | undefined => {
  const v = Object.values(c);
  return v.length === 0 || v.some((x) => x === undefined) ? undefined : (v as number[]).reduce((a, b) => a + b, 0);
};
/** "node 2,100 + redis 150" (a single process: just its figure) */
const cpuParts = (c: CpuPerPut): string => {
  const e = Object.entries(c);
  return e.length === 1 ? int(e[0]?.[1]) : e.map(([label, us]) => `${label} ${int(us)}`).join(' + ');
};

/** The write and GET rows again with the node:http control beside them, and the CPU each writer spent per PUT. */
export function writeTableRows(m: MinioResult): string[][] {
  const { seqPut: s, concurrentPut: c, cpuUsPerPut: cpu } = m;
  const cpuRow = (what: string, k: 'seq' | 'concurrent'): string[] => {
    const [mi, ct, ku] = [cpu.minio[k], cpu.control[k], cpu.kubecdn[k]];
    return [what, cpuParts(mi), cpuParts(ct), cpuParts(ku), x(cpuTotal(ct), cpuTotal(mi)), x(cpuTotal(ku), cpuTotal(ct))];
  };
  return [
    ['sequential PUT 1 KiB p50 (ms)', fixed(s.minio.p50, 2), fixed(s.control.p50, 2), fixed(s.kubecdn.p50, 2), x(s.control.p50, s.minio.p50), x(s.kubecdn.p50, s.control.p50)],
    [`${m.settings.writers} concurrent writers, 1 KiB objects/s`, int(c.minio.perS), int(c.control.perS), int(c.kubecdn.perS), x(c.control.perS, c.minio.perS), x(c.kubecdn.perS, c.control.perS)],
    cpuRow('CPU per sequential PUT, µs (user + system, all threads)', 'seq'),
    cpuRow(`CPU per PUT with ${m.settings.writers} writers, µs`, 'concurrent'),
    // (results from before the control served GETs have no control figures: dashes)
    ...m.gets.map((g) => {
      const [mi, ct, ku] = [g.stores.minio.rps, g.stores.control?.rps, g.stores.kubecdn.rps];
      return [`GET ${g.size} req/s`, int(mi), int(ct), int(ku), x(ct, mi), x(ku, ct)];
    }),
  ];
}

/** What made a measurement invalid, for the lines under the table. */
export function minioProblems(m: MinioResult): string[] {
  const fails = (what: string, n: string, f: readonly { failures: Readonly<Record<string, number>> }[]): string[] => {
    const all = f.flatMap((r) => Object.entries(r.failures)).map(([k, v]) => `${v}x ${k}`);
    return all.length ? [`${what}, ${n}: ${all.join(', ')}`] : [];
  };
  const stores: StoreName[] = ['minio', 'kubecdn'];
  return [
    ...WRITERS.flatMap((n) => fails('sequential PUT', n, m.seqPut[n].rounds)),
    ...WRITERS.flatMap((n) => fails('concurrent PUT', n, m.concurrentPut[n].rounds)),
    ...stores.flatMap((n) => fails('list versions', n, m.list[n].rounds)),
    ...m.gets.flatMap((g) => stores.flatMap((n) => g.stores[n].problems.map((p) => `GET ${g.size}, ${n}: ${p}`))),
  ];
}

/** How the section was measured, for the paragraph above the table. */
export function minioMethod(m: MinioResult): string {
  const s = m.settings;
  const w = s.wrk;
  return (
    `MinIO (github.com/minio/minio ${m.minioVersion}, one drive, default settings, versioned bucket, requests through ` +
    `presigned URLs) and one standalone kubecdn node, both on this machine, the same node:http client for both. ` +
    `Durability: MinIO ${m.durability.minio}; kubecdn ${m.durability.kubecdn}, reported mode \`${m.kubecdnCommitDurability}\`. ` +
    `Interleaved rounds (order rotated), medians of the rounds: ${s.writeRounds} of the writes, ${s.rounds} of the listings and GETs. PUTs: fresh random 1 KiB contents, ` +
    `${s.warmPuts} warm-up PUTs per store, then ${s.seqPuts} sequential PUTs per round on one keep-alive connection, ` +
    `and ${s.writers} writers x ${s.putsPerWriter} PUTs per round (one connection each). List: ${s.lists} listings per ` +
    `round of one key with ${s.versions} versions. GET: \`wrk -t1 -c${w.connections} -d${w.durationS}s --timeout ` +
    `${w.timeoutS}s\` after ${w.warmS} s of warm-up. Peak RSS: VmHWM over the whole section` +
    `${m.rssResetOk ? '' : ' (reset failed: since each process started)'}.`
  );
}
