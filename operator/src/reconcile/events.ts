// Events on important transitions: a condition that changed status or reason becomes one Event.
import type { Transition } from './conditions.js';

export interface EventInput {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export function eventsFor(transitions: readonly Transition[]): EventInput[] {
  return transitions
    .filter((t) => !(t.from === undefined && t.to.status === 'False' && t.type !== 'Ready'))
    .map((t) => ({
      type: isBad(t) ? 'Warning' : 'Normal',
      reason: t.to.reason,
      message: `${t.type}: ${t.to.message}`,
    }));
}

function isBad(t: Transition): boolean {
  if (t.type === 'Degraded') return t.to.status === 'True';
  if (t.type === 'Ready') return t.to.status !== 'True' && t.from === 'True';
  if (t.type === 'StorageResized') return t.to.reason !== 'Resized' && t.to.reason !== 'Resizing';
  return false;
}
