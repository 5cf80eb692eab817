// Every answer of the soak run, counted: by kind of request and by status (with the error code, "404 file_deleted"),
// each judged ok / legit / unexpected / 5xx / error, plus the wrong-bytes findings. Bounded: counters, a reservoir of
// latencies per kind and the first few examples of each failure. Pure (no I/O).
import { percentile } from './stats.js';

export const KINDS = [
  'read_latest',
  'read_version',
  'read_range',
  'read_blob',
  'compat_read',
  'compat_read_version',
  'write',
  'write_if_match',
  'write_duplicate',
  'write_same_name',
  'revert',
  'delete',
] as const;
export type Kind = (typeof KINDS)[number];

/**
 * ok: the answer the request is meant to get; legit: another answer the API documents for this situation (a lost
 * race, a delete marker, a lock held too long); unexpected: any other non-5xx answer; error: no HTTP answer at all.
 */
export type Outcome = 'ok' | 'legit' | 'unexpected' | '5xx' | 'error';
export const OUTCOMES: readonly Outcome[] = ['ok', 'legit', 'unexpected', '5xx', 'error'];

/** "200", or "409 duplicate_content" when the answer carried an error code. */
export const label = (status: number, code?: string): string => (code ? `${status} ${code}` : String(status));

/** Judges one answer against the labels that are ok and legit for it; a label is a status or "status code". */
export function judge(status: number, code: string | undefined, ok: readonly string[], legit: readonly string[] = []): Outcome {
  if (status >= 500) return '5xx';
  const matches = (list: readonly string[]): boolean => list.includes(String(status)) || list.includes(label(status, code));
  if (matches(ok)) return 'ok';
  return matches(legit) ? 'legit' : 'unexpected';
}

export interface Example {
  readonly kind: Kind;
  readonly node: string;
  readonly request: string;
  readonly answer: string;
  /** seconds into the load, and the wall-clock time (to find it in the node logs) */
  readonly atS: number;
  readonly time: string;
}

export interface KindCounts {
  readonly total: number;
  readonly byLabel: Record<string, number>;
  readonly byOutcome: Record<Outcome, number>;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  readonly maxMs: number;
}

export interface TallySummary {
  readonly requests: number;
  readonly kinds: Partial<Record<Kind, KindCounts>>;
  readonly fiveXX: number;
  readonly wrongBytes: number;
  readonly unexpected: number;
  readonly errors: number;
  /** content the run could not check because it had forgotten it (bounded memory) */
  readonly unverified: number;
  readonly examples: { readonly fiveXX: Example[]; readonly wrongBytes: Example[]; readonly unexpected: Example[]; readonly errors: Example[] };
}

/** examples kept per finding list, and per kind and answer within it (so one frequent failure does not hide others) */
const KEEP_EXAMPLES = 12;
const KEEP_PER_ANSWER = 2;
const RESERVOIR = 4000;

class KindTally {
  total = 0;
  maxMs = 0;
  readonly byLabel: Record<string, number> = {};
  readonly byOutcome: Record<Outcome, number> = { ok: 0, legit: 0, unexpected: 0, '5xx': 0, error: 0 };
  private readonly ms: number[] = [];

  add(lbl: string, outcome: Outcome, ms: number, r: number): void {
    this.total++;
    this.byLabel[lbl] = (this.byLabel[lbl] ?? 0) + 1;
    this.byOutcome[outcome]++;
    this.maxMs = Math.max(this.maxMs, ms);
    // reservoir sampling: every answer has the same chance to be among the kept latencies
    if (this.ms.length < RESERVOIR) this.ms.push(ms);
    else if (r * this.total < RESERVOIR) this.ms[Math.floor(r * RESERVOIR)] = ms;
  }

  summary(): KindCounts {
    return { total: this.total, byLabel: this.byLabel, byOutcome: this.byOutcome, p50Ms: percentile(this.ms, 50), p99Ms: percentile(this.ms, 99), maxMs: this.maxMs };
  }
}

export class Tally {
  private readonly kinds = new Map<Kind, KindTally>();
  private readonly examples = { fiveXX: [] as Example[], wrongBytes: [] as Example[], unexpected: [] as Example[], errors: [] as Example[] };
  private readonly examplesPer = new Map<string, number>();
  private wrong = 0;
  private unverifiedCount = 0;
  /** set when the run is over: answers that arrive while the harness shuts down are not counted */
  closed = false;

  constructor(private readonly startedAt: number = Date.now()) {}

  /** One answer (or transport failure, as status 0 with label "error ..."). */
  answer(kind: Kind, outcome: Outcome, lbl: string, ms: number, detail: Omit<Example, 'kind' | 'atS' | 'time'>): void {
    if (this.closed) return;
    let t = this.kinds.get(kind);
    if (!t) this.kinds.set(kind, (t = new KindTally()));
    t.add(lbl, outcome, ms, Math.random());
    const list = outcome === '5xx' ? this.examples.fiveXX : outcome === 'unexpected' ? this.examples.unexpected : outcome === 'error' ? this.examples.errors : undefined;
    if (list) this.keep(list, `${outcome} ${kind} ${lbl}`, this.example(kind, detail));
  }

  private keep(list: Example[], key: string, e: Example): void {
    const n = this.examplesPer.get(key) ?? 0;
    if (list.length >= KEEP_EXAMPLES || n >= KEEP_PER_ANSWER) return;
    this.examplesPer.set(key, n + 1);
    list.push(e);
  }

  /** Bytes (or a version's content) that differ from what the ETag or the run's own record says. */
  wrongBytes(kind: Kind, detail: Omit<Example, 'kind' | 'atS' | 'time'>): void {
    if (this.closed) return;
    this.wrong++;
    this.keep(this.examples.wrongBytes, `wrong ${kind} ${detail.answer.slice(0, 24)}`, this.example(kind, detail));
  }

  unverified(): void {
    if (!this.closed) this.unverifiedCount++;
  }

  private example(kind: Kind, detail: Omit<Example, 'kind' | 'atS' | 'time'>): Example {
    const now = Date.now();
    return { kind, ...detail, atS: Math.round((now - this.startedAt) / 100) / 10, time: new Date(now).toISOString() };
  }

  summary(): TallySummary {
    const kinds: Partial<Record<Kind, KindCounts>> = {};
    const sum = (o: Outcome): number => [...this.kinds.values()].reduce((s, k) => s + k.byOutcome[o], 0);
    for (const k of KINDS) {
      const t = this.kinds.get(k);
      if (t) kinds[k] = t.summary();
    }
    return {
      requests: [...this.kinds.values()].reduce((s, k) => s + k.total, 0),
      kinds,
      fiveXX: sum('5xx'),
      wrongBytes: this.wrong,
      unexpected: sum('unexpected'),
      errors: sum('error'),
      unverified: this.unverifiedCount,
      examples: this.examples,
    };
  }
}
