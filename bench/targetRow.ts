// One row of the report's Targets table, built the same way for every section (results.ts, minioReport.ts). Pure.
import { describeTarget, verdict, type Target, type Verdict } from './stats.js';

export interface TargetRow {
  readonly what: string;
  readonly value: number | undefined;
  readonly shown: string;
  readonly goal: string;
  readonly verdict: Verdict;
  readonly note?: string;
}

export const fixed = (n: number | undefined, digits: number, unit = ''): string => (n === undefined ? '—' : `${n.toFixed(digits)}${unit}`);

export interface RowInput {
  readonly what: string;
  readonly value: number | undefined;
  readonly target: Target;
  readonly unit: string;
  readonly shown: string;
  /** false: the measurement itself is flagged (errors, wrong bytes, lost events) */
  readonly valid?: boolean | undefined;
  readonly note?: string | undefined;
  /** the goal in words, when `op goal unit` does not say it */
  readonly goal?: string;
}

export function row(i: RowInput): TargetRow {
  const goal = i.goal ?? describeTarget(i.target, i.unit);
  const base = { what: i.what, value: i.value, shown: i.shown, goal, verdict: verdict(i.value, i.target, i.valid ?? true) };
  return i.note === undefined ? base : { ...base, note: i.note };
}
