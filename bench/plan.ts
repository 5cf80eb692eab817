// What a run measures and for how long, decided from the command line alone. Pure.
import { scalePlan, type ScalePlan } from './scaleData.js';

export const SECTIONS = ['hits', 'cold', 'coalesce', 'upload', 'notify', 'locks', 'minio', 'scale'] as const;
export type Section = (typeof SECTIONS)[number];

export interface FileSize {
  readonly label: string;
  readonly bytes: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export const HIT_SIZES: readonly FileSize[] = [
  { label: '1KiB', bytes: KiB },
  { label: '64KiB', bytes: 64 * KiB },
  { label: '1MiB', bytes: MiB },
  { label: '16MiB', bytes: 16 * MiB },
];

export interface Plan {
  readonly quick: boolean;
  readonly sections: readonly Section[];
  /** wrk, identical for every server */
  readonly connections: number;
  readonly durationS: number;
  readonly warmS: number;
  readonly rounds: number;
  readonly wrkTimeoutS: number;
  /** small PUTs every kubecdn node takes before the hits are measured: hits on a node with a write history */
  readonly hitsPreWrites: number;
  /** cold misses: fresh files read once on a node that is not their home */
  readonly cold64KiB: number;
  readonly cold1MiB: number;
  /** concurrent misses for one blob */
  readonly coalesceClients: number;
  readonly coalesceBytes: number;
  readonly uploadBytes: number;
  /** sequential writes whose notifications are timed */
  readonly notifyWrites: number;
  /** per lock mode: sequential writes, contended writes per client, lock-API cycles */
  readonly lockWrites: number;
  readonly lockContendedPerClient: number;
  readonly lockApiCycles: number;
  /** kubecdn vs MinIO (bench/minio.ts), per store and round: sequential 1 KiB PUTs, concurrent writers x PUTs each */
  readonly minio: {
    /**
     * rounds of the write measurements (the GETs take the plan's `rounds`): a write round is ~1-2 s per store, and
     * with 3 of them the medians of unchanged builds crossed the thresholds from run to run (16 writers 1.34x, 1.20x
     * and 1.18x MinIO; sequential p50 1.02x, 0.98x and 1.29x on 2026-12-02)
     */
    readonly writeRounds: number;
    readonly warmPuts: number;
    readonly seqPuts: number;
    readonly writers: number;
    readonly putsPerWriter: number;
    /** versions of the one key whose listing is timed, and how many listings per round */
    readonly versions: number;
    readonly lists: number;
  };
  /** the scale section: files in the store and its waits (bench/scaleData.ts) */
  readonly scale: ScalePlan;
}

export interface CliOptions {
  readonly quick?: boolean;
  readonly only?: string;
  readonly duration?: string;
  readonly rounds?: string;
  readonly connections?: string;
  readonly scaleFiles?: string;
}

/** Reads `--only hits,cold` (any order, duplicates ignored); throws listing what is not a section. */
export function parseSections(only: string | undefined): Section[] {
  if (only === undefined || only.trim() === '') return [...SECTIONS];
  const asked = only.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = asked.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`unknown section(s) ${unknown.join(', ')}: choose from ${SECTIONS.join(', ')}`);
  return SECTIONS.filter((s) => asked.includes(s)); // run in the canonical order whatever order was typed
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1 (got "${raw}")`);
  return n;
}

/**
 * Full mode is sized for ~10-15 minutes on a 2-core machine (the hit runs dominate: 4 sizes x 3 servers x rounds x
 * duration); --quick keeps every measurement but shortens them (~2-3 minutes), for developing the harness.
 * --quick still uploads 1 GiB: the upload and RSS targets are defined for that size.
 */
export function makePlan(o: CliOptions): Plan {
  const quick = o.quick === true;
  return {
    quick,
    sections: parseSections(o.only),
    connections: positiveInt('connections', o.connections, 32),
    durationS: positiveInt('duration', o.duration, quick ? 2 : 10),
    warmS: quick ? 1 : 2,
    rounds: positiveInt('rounds', o.rounds, 3),
    wrkTimeoutS: 10,
    hitsPreWrites: quick ? 250 : 2500,
    cold64KiB: quick ? 10 : 30,
    cold1MiB: quick ? 3 : 5,
    coalesceClients: 100,
    coalesceBytes: 4 * MiB,
    uploadBytes: 1024 * MiB,
    notifyWrites: quick ? 60 : 200,
    lockWrites: quick ? 40 : 200,
    lockContendedPerClient: quick ? 15 : 50,
    lockApiCycles: quick ? 50 : 200,
    minio: minioPlan(quick),
    scale: scalePlan(quick, o.scaleFiles === undefined ? undefined : positiveInt('scale-files', o.scaleFiles, 1)),
  };
}

function minioPlan(quick: boolean): Plan['minio'] {
  return {
    writeRounds: quick ? 3 : 9,
    warmPuts: quick ? 10 : 20,
    seqPuts: quick ? 50 : 200,
    writers: 16,
    putsPerWriter: quick ? 10 : 50,
    versions: 200, // the row is defined for 200 versions, --quick too
    lists: quick ? 10 : 50,
  };
}
