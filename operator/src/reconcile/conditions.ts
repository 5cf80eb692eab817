// Standard conditions (metav1.Condition): set one, keep lastTransitionTime while the status does not change, and
// tell which changed (they become Events).
import type { Condition } from '../api/types.js';

export interface ConditionInput {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export function setCondition(
  conditions: readonly Condition[],
  next: ConditionInput,
  generation: number,
  now: string,
): Condition[] {
  const old = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = old !== undefined && old.status === next.status ? old.lastTransitionTime : now;
  const merged: Condition = { ...next, lastTransitionTime, observedGeneration: generation };
  const rest = conditions.filter((c) => c.type !== next.type);
  return [...rest, merged].sort((a, b) => ORDER.indexOf(a.type) - ORDER.indexOf(b.type));
}

const ORDER = ['Ready', 'Progressing', 'Degraded', 'StorageResized'];

export interface Transition {
  readonly type: string;
  readonly from: Condition['status'] | undefined;
  readonly to: ConditionInput;
}

/** Conditions whose status or reason changed between two lists. */
export function transitions(before: readonly Condition[], after: readonly ConditionInput[]): Transition[] {
  const out: Transition[] = [];
  for (const next of after) {
    const old = before.find((c) => c.type === next.type);
    if (old === undefined || old.status !== next.status || old.reason !== next.reason) {
      out.push({ type: next.type, from: old?.status, to: next });
    }
  }
  return out;
}
