// The kubecdn-vs-MinIO section's results: rounds reduced to medians, the targets of the issue checked, and the
// markdown table. Pure: every number the report prints can be checked by a unit test.
import type { HitServerResult } from './hits.js';
import type { StoreName, WriterName } from './minioStore.js';
import type { Plan } from './plan.js';
import { median, percentile, ratio, TARGETS } from './stats.js';
import { fixed, row, type TargetRow } from './targetRow.js';

export type PerStore<T> = Readonly<Record<StoreName, T>>;
export type PerWriter<T> = Readonly<Record<WriterName, T>>;

/** One write round's CPU: ms used by each of the writer's processes (undefined: unreadable) over its acknowledged PUTs. */
export interface CpuRound {
  readonly puts: number;
  readonly cpuMs: Readonly<Record<string, number | undefined>>;
}

/** Per process label: the median over the rounds of CPU µs per acknowledged PUT (a label unreadable in a round is left out of that round). */
export type CpuPerPut = Readonly<Record<string, number | undefined>>;

export interface LatencyRound {
  readonly count: number;
  readonly p50: number | undefined;
  readonly p99: number | undefined;
  readonly failures: Readonly<Record<string, number>>;
}

/** Rounds of timed requests: p50 and p99 are the medians of the rounds' own percentiles. */
export interface LatencyResult {
  readonly rounds: readonly LatencyRound[];
  readonly p50: number | undefined;
  readonly p99: number | undefined;
  readonly valid: boolean;
}

export interface RateRound {
  readonly objects: number;
  readonly seconds: number;
  readonly perS: number;
  readonly failures: Readonly<Record<string, number>>;
}

export interface RateResult {
  readonly rounds: readonly RateRound[];
  /** median of the rounds' acknowledged objects per second */
  readonly perS: number | undefined;
  readonly valid: boolean;
}

export interface GetSizeResult {
  readonly size: string;
  readonly bytes: number;
  /** the node:http control (bench/writeControl.ts) streaming the same bytes from disk; absent in results before it */
  readonly stores: PerStore<HitServerResult> & { readonly control?: HitServerResult };
}

export interface MinioResult {
  /** the github.com/minio/minio module version of the binary */
  readonly minioVersion: string;
  readonly durability: PerStore<string>;
  /** kubecdn's own kubecdn_redis_commit_durability mode (the section fails unless it is "fsync") */
  readonly kubecdnCommitDurability: string;
  readonly settings: Plan['minio'] & {
    readonly rounds: number;
    readonly wrk: { readonly connections: number; readonly durationS: number; readonly warmS: number; readonly timeoutS: number };
  };
  readonly seqPut: PerWriter<LatencyResult>;
  readonly concurrentPut: PerWriter<RateResult>;
  /** CPU µs per acknowledged PUT, per process of each writer, in the sequential and the concurrent rounds */
  readonly cpuUsPerPut: PerWriter<{ readonly seq: CpuPerPut; readonly concurrent: CpuPerPut }>;
  readonly list: PerStore<LatencyResult>;
  readonly gets: readonly GetSizeResult[];
  /** peak RSS (VmHWM) per process over the whole section, MiB */
  readonly peakRssMiB: PerStore<Readonly<Record<string, number>>>;
  readonly rssResetOk: boolean;
}

const anyFailure = (f: Readonly<Record<string, number>>): boolean => Object.values(f).some((n) => n > 0);

/** Each round's samples (ms) and failures -> per-round percentiles and their medians; any failure invalidates. */
export function latencyResult(rounds: readonly { ms: readonly number[]; failures: Readonly<Record<string, number>> }[]): LatencyResult {
  const r = rounds.map((x) => ({ count: x.ms.length, p50: percentile(x.ms, 50), p99: percentile(x.ms, 99), failures: x.failures }));
  const p50 = median(r.flatMap((x) => (x.p50 === undefined ? [] : [x.p50])));
  const p99 = median(r.flatMap((x) => (x.p99 === undefined ? [] : [x.p99])));
  return { rounds: r, p50, p99, valid: r.length > 0 && !r.some((x) => anyFailure(x.failures) || x.count === 0) };
}

/** Each round's acknowledged objects over its wall time; the median of the rounds; any failure invalidates. */
export function rateResult(rounds: readonly { ms: readonly number[]; seconds: number; failures: Readonly<Record<string, number>> }[]): RateResult {
  const r = rounds.map((x) => ({ objects: x.ms.length, seconds: x.seconds, perS: x.seconds > 0 ? x.ms.length / x.seconds : 0, failures: x.failures }));
  return { rounds: r, perS: median(r.map((x) => x.perS)), valid: r.length > 0 && !r.some((x) => anyFailure(x.failures) || x.objects === 0) };
}

/** Rounds' CPU -> per process label, the median of the rounds' µs per acknowledged PUT. */
export function cpuPerPut(rounds: readonly CpuRound[]): CpuPerPut {
  const labels = [...new Set(rounds.flatMap((r) => Object.keys(r.cpuMs)))];
  const perPut = (label: string): number[] =>
    rounds.flatMap((r) => {
      const ms = r.cpuMs[label];
      return ms === undefined || r.puts === 0 ? [] : [(ms * 1000) / r.puts];
    });
  return Object.fromEntries(labels.map((l) => [l, median(perPut(l))]));
}

/** kubecdn's peak: node + its Redis, MiB. */
export const rssTotal = (peaks: Readonly<Record<string, number>>): number => Object.values(peaks).reduce((a, b) => a + b, 0);

const invalidNote = (valid: boolean): string | undefined => (valid ? undefined : 'a request failed: see the section');
/** "; node:http control / MinIO 1.03x": the same ratio for the control, i.e. what Node allows here ('' without one) */
const controlSays = (control: number | undefined, minio: number | undefined): string => {
  const r = ratio(control, minio);
  return r === undefined ? '' : `; node:http control / MinIO ${fixed(r, 2, 'x')}`;
};

/** One row per target of the issue for this section. */
export function minioTargetRows(m: MinioResult): TargetRow[] {
  const t = TARGETS.minio;
  const fsync = m.kubecdnCommitDurability === 'fsync';
  const seq = ratio(m.seqPut.kubecdn.p50, m.seqPut.minio.p50);
  const seqValid = m.seqPut.kubecdn.valid && m.seqPut.minio.valid;
  const conc = ratio(m.concurrentPut.kubecdn.perS, m.concurrentPut.minio.perS);
  const concValid = m.concurrentPut.kubecdn.valid && m.concurrentPut.minio.valid;
  return [
    row({
      what: 'vs MinIO: durability of an acknowledged write',
      value: fsync ? 1 : 0,
      target: { op: '==', goal: 1 },
      unit: '',
      goal: 'kubecdn fsync, as MinIO',
      shown: `kubecdn ${m.kubecdnCommitDurability}; MinIO default (O_DSYNC)`,
    }),
    row({
      what: 'vs MinIO: sequential 1 KiB PUT p50, kubecdn / MinIO',
      value: seq,
      target: t.seqPutP50,
      unit: 'x',
      shown: `${fixed(seq, 2, 'x')} (${fixed(m.seqPut.kubecdn.p50, 2)} / ${fixed(m.seqPut.minio.p50, 2)} ms${controlSays(m.seqPut.control?.p50, m.seqPut.minio.p50)})`,
      valid: seqValid,
      note: invalidNote(seqValid),
    }),
    row({
      what: `vs MinIO: ${m.settings.writers} concurrent writers, 1 KiB objects/s, kubecdn / MinIO`,
      value: conc,
      target: t.concurrentPut,
      unit: 'x',
      shown: `${fixed(conc, 2, 'x')} (${fixed(m.concurrentPut.kubecdn.perS, 0)} / ${fixed(m.concurrentPut.minio.perS, 0)}${controlSays(m.concurrentPut.control?.perS, m.concurrentPut.minio.perS)})`,
      valid: concValid,
      note: invalidNote(concValid),
    }),
    ...m.gets.flatMap((g) => getRow(g)),
  ];
}

function getRow(g: GetSizeResult): TargetRow[] {
  const target = TARGETS.minio.get[g.size];
  if (!target) return [];
  const { minio, kubecdn } = g.stores;
  const r = ratio(kubecdn.rps, minio.rps);
  const valid = kubecdn.valid && minio.valid;
  const note = [...kubecdn.problems, ...minio.problems][0];
  const shown = `${fixed(r, 2, 'x')} (${fixed(kubecdn.rps, 0)} / ${fixed(minio.rps, 0)}${controlSays(g.stores.control?.rps, minio.rps)})`;
  return [row({ what: `vs MinIO: GET ${g.size} req/s, kubecdn / MinIO`, value: r, target, unit: 'x', shown, valid, note })];
}
