// Test instrumentation (LOCK_PROBE=1), never on in production: each critical section increments
// kubecdn:probe:inside:<name> on entry and decrements it on exit; an entry that finds someone already inside counts a
// violation in kubecdn:probe:violations and the highest occupancy seen goes to kubecdn:probe:max. Tests read these
// keys from outside the node processes, so mutual exclusion is observed, not assumed.
import type { Redis } from 'ioredis';
import { PREFIX } from '../metadata/keys.js';

const inside = (name: string): string => `${PREFIX}probe:inside:${name}`;
export const PROBE_VIOLATIONS = `${PREFIX}probe:violations`;
export const PROBE_ENTRIES = `${PREFIX}probe:entries`;

export function criticalSectionProbe(redis: Redis, holdMs: number): { enter(name: string): Promise<void>; exit(name: string): Promise<void> } {
  return {
    async enter(name) {
      const [[, n]] = (await redis.multi().incr(inside(name)).incr(PROBE_ENTRIES).exec()) as [[null, number], [null, number]];
      if (n > 1) await redis.incr(PROBE_VIOLATIONS);
      if (holdMs > 0) await new Promise((r) => setTimeout(r, holdMs));
    },
    async exit(name) {
      await redis.decr(inside(name));
    },
  };
}
