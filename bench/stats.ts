// Pure arithmetic of the benchmark: medians, percentiles, ratios, run order and the targets of the issue.
// No I/O here, so every number the report prints can be checked by a unit test.

/** Median of the values (mean of the two middle ones for an even count); undefined for none. */
export function median(values: readonly number[]): number | undefined {
  return percentile(values, 50);
}

/**
 * The p-th percentile (0-100) with linear interpolation between closest ranks (the "R-7" rule of spreadsheets and
 * numpy's default), so p50 of [1, 2, 3, 4] is 2.5 and p99 of a small sample lies between its two largest values.
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return undefined;
  const sorted = [...finite].sort((a, b) => a - b);
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (rank - lo);
}

/** a / b, undefined when either is missing or b is 0 (a ratio against nothing is not a number worth printing). */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return undefined;
  return a / b;
}

export interface Summary {
  readonly count: number;
  readonly p50: number | undefined;
  readonly p99: number | undefined;
  readonly min: number | undefined;
  readonly max: number | undefined;
}

export function summarize(values: readonly number[]): Summary {
  return {
    count: values.length,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    min: values.length ? Math.min(...values) : undefined,
    max: values.length ? Math.max(...values) : undefined,
  };
}

/**
 * Interleaved run order: every server once per round, the order rotated each round (A B C, B C A, C A B...), so
 * no server always runs first (cold) or last (after the machine warmed up) and slow drift hits all of them alike.
 */
export function roundOrder<T>(servers: readonly T[], rounds: number): { round: number; server: T }[] {
  const out: { round: number; server: T }[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < servers.length; i++) out.push({ round: r + 1, server: servers[(i + r) % servers.length] as T });
  }
  return out;
}

export type Op = '>=' | '<=' | '<' | '==';

export interface Target {
  readonly op: Op;
  readonly goal: number;
}

/** PASS/MISS against a target; INVALID when the measurement itself is flagged (errors, non-2xx); n/a without one. */
export type Verdict = 'PASS' | 'MISS' | 'INVALID' | 'n/a';

const HOLDS: Readonly<Record<Op, (value: number, goal: number) => boolean>> = {
  '>=': (v, g) => v >= g,
  '<=': (v, g) => v <= g,
  '<': (v, g) => v < g,
  '==': (v, g) => v === g,
};

export function verdict(value: number | undefined, target: Target | undefined, valid = true): Verdict {
  if (target === undefined) return 'n/a';
  if (!valid) return 'INVALID';
  if (value === undefined || !Number.isFinite(value)) return 'MISS';
  return HOLDS[target.op](value, target.goal) ? 'PASS' : 'MISS';
}

export const describeTarget = (t: Target | undefined, unit = ''): string =>
  t === undefined ? '' : `${t.op === '==' ? '=' : t.op} ${t.goal}${unit}`;

/** The targets of the issue. No target for the Varnish ratios: those are reported only. */
export const TARGETS = {
  /** kubecdn/nginx cache-hit throughput, by file size label */
  hitVsNginx: { '1KiB': { op: '>=', goal: 1.0 }, '64KiB': { op: '>=', goal: 1.0 }, '1MiB': { op: '>=', goal: 0.9 }, '16MiB': { op: '>=', goal: 0.8 } } as Readonly<
    Record<string, Target>
  >,
  /** kubecdn / the node:http control (bench/baselineServer.ts) in the same run: small hits, access log and metrics on */
  hitVsControl: { '1KiB': { op: '>=', goal: 0.85 }, '64KiB': { op: '>=', goal: 0.85 } } as Readonly<Record<string, Target>>,
  peerTransfers: { op: '==', goal: 1 } as Target,
  /** upload MB/s over raw single-thread SHA-256 MB/s in Node */
  uploadVsSha: { op: '>=', goal: 0.5 } as Target,
  peakRssMB: { op: '<', goal: 200 } as Target,
  notifyP99Ms: { op: '<', goal: 20 } as Target,
  /** kubecdn / MinIO on one machine (bench/minio.ts): sequential 1 KiB PUT p50 (lower is better), the rest rates */
  minio: {
    seqPutP50: { op: '<=', goal: 1.0 } as Target,
    concurrentPut: { op: '>=', goal: 1.2 } as Target,
    get: { '1KiB': { op: '>=', goal: 2.5 }, '64KiB': { op: '>=', goal: 2.5 }, '1MiB': { op: '>=', goal: 2.5 }, '16MiB': { op: '>=', goal: 1.0 } } as Readonly<
      Record<string, Target>
    >,
  },
} as const;
