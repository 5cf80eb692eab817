// The soak run's load: a fixed number of workers, each picking one operation at a time by weight, until the time is
// up or the global request cap is reached; then the requests still running get a bounded time to finish.
import { setTimeout as sleep } from 'node:timers/promises';
import type { OpCtx } from './soakCtx.js';
import { compatRead, compatReadVersion, readBlob, readLatest, readRange, readVersion } from './soakReads.js';
import { remove, revert, write, writeDuplicate, writeIfMatch, writeSameName } from './soakWrites.js';

type Op = (ctx: OpCtx) => Promise<void>;

/** Weights out of 100: mostly reads, as a CDN sees them; writes of every kind; the compat routes a little. */
export const MIX: readonly (readonly [number, Op])[] = [
  [28, readLatest],
  [14, readVersion],
  [8, readRange],
  [8, readBlob],
  [2, compatRead],
  [6, compatReadVersion],
  [14, write],
  [5, writeIfMatch],
  [3, writeDuplicate],
  [3, writeSameName],
  [5, revert],
  [4, remove],
];

const TOTAL_WEIGHT = MIX.reduce((s, [w]) => s + w, 0);

export function pickOp(r: number): Op {
  let left = r * TOTAL_WEIGHT;
  for (const [w, op] of MIX) {
    left -= w;
    if (left < 0) return op;
  }
  return readLatest;
}

export interface LoadOptions {
  readonly seconds: number;
  readonly workers: number;
  readonly maxRequests: number;
  /** how long requests still running at the end may take before they are abandoned */
  readonly drainMs: number;
}

export interface LoadResult {
  readonly seconds: number;
  readonly stoppedBy: 'time' | 'request cap';
  /** requests were still running after drainMs (their answers are not counted) */
  readonly abandoned: boolean;
}

export async function runLoad(ctx: OpCtx, o: LoadOptions): Promise<LoadResult> {
  const t0 = Date.now();
  const stopAt = t0 + o.seconds * 1000;
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < stopAt && issued < o.maxRequests) {
      const op = pickOp(Math.random());
      issued += op === writeSameName ? ctx.nodes.length : 1;
      await op(ctx);
    }
  };
  const all = Promise.all(Array.from({ length: o.workers }, worker));
  const drained = await Promise.race([all.then(() => true), sleep(o.seconds * 1000 + o.drainMs, false, { ref: false })]);
  return { seconds: (Date.now() - t0) / 1000, stoppedBy: issued >= o.maxRequests ? 'request cap' : 'time', abandoned: !drained };
}
