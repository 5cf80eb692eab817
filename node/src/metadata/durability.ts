// Whether an acknowledged version survives a machine crash. A version is committed in Redis, so it does only when
// Redis writes the commit to its append-only file and fsyncs it before answering: `appendonly yes` with
// `appendfsync always` (Redis shares one fsync among the writes of one event-loop turn: a group commit). With
// `everysec` a machine crash loses up to ~1 s of acknowledged versions; with no AOF, everything since the last
// snapshot. The node cannot choose Redis' settings (the operator's managed Redis fsyncs always by default), so it
// reads them on every (re)connect — a restarted Redis may run with others — and says what a 201 is worth:
// kubecdn_redis_commit_durability{mode} and a warning when it is less than "fsync".
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { pairsOf } from './replies.js';

export const DURABILITY_MODES = ['fsync', 'everysec', 'none', 'unknown'] as const;
export type CommitDurability = (typeof DURABILITY_MODES)[number];

/** Pure: what Redis' `appendonly` and `appendfsync` make of a commit (undefined: Redis would not say). */
export function durabilityOf(appendonly: string | undefined, appendfsync: string | undefined): CommitDurability {
  if (appendonly === undefined || appendfsync === undefined) return 'unknown';
  if (appendonly !== 'yes') return 'none';
  if (appendfsync === 'always') return 'fsync';
  return appendfsync === 'everysec' ? 'everysec' : 'none'; // `no`: the kernel flushes when it likes
}

/** Reads Redis' persistence settings; CONFIG may be refused (an ACL, a hosted Redis), which is 'unknown'. */
export async function readDurability(redis: Redis): Promise<CommitDurability> {
  try {
    const conf = pairsOf((await redis.call('CONFIG', 'GET', 'append*')) as string[]);
    return durabilityOf(conf.get('appendonly'), conf.get('appendfsync'));
  } catch {
    return 'unknown';
  }
}

/** Checks now and on every reconnect until the returned stop is called. */
export function watchDurability(redis: Redis, metrics: Metrics, log: Logger): { stop(): void } {
  const check = async (): Promise<void> => {
    const mode = await readDurability(redis);
    for (const m of DURABILITY_MODES) metrics.commitDurability.set({ mode: m }, m === mode ? 1 : 0);
    if (mode === 'fsync') return;
    const why = {
      everysec: 'Redis fsyncs its append-only file once a second: a machine crash can lose up to ~1 s of acknowledged versions',
      none: 'Redis keeps no fsynced append-only file: a machine crash can lose acknowledged versions',
      unknown: "Redis would not tell its persistence settings (CONFIG GET refused): a 201's durability is unknown",
    }[mode];
    log.warn({ durability: mode }, `${why}; set appendonly yes and appendfsync always (docs/configuration.md#durability)`);
  };
  const onReady = (): void => void check();
  redis.on('ready', onReady);
  onReady();
  return { stop: () => redis.off('ready', onReady) };
}
