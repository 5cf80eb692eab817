// LOCK_MODE=redis: a lease in Redis per name (kubecdn:lock:<name>, a hash with the holder's random token, set only
// if absent, with a TTL) plus a fencing token per name (kubecdn:fence:<name>) that only grows. Release and extend are
// compare-and-delete / compare-and-extend on the token, in Lua. The commit refuses a fencing token older than the
// last one committed for the name, so a holder that paused past its lease cannot overwrite a newer write. A write's
// lease ends in its commit script (Held.endsWithCommit): no separate release after a commit.
// The same lease backs the lock API (kind "api"): a write carrying its token proceeds; any other write gets 423.
import { randomUUID } from 'node:crypto';
import type { Redis, Result } from 'ioredis';
import { apiError } from '../errors.js';
import { keys, LOCK_RELEASED_CHANNEL } from '../metadata/keys.js';
import type { Metrics } from '../metrics.js';
import type { LocalLock } from './localLock.js';
import type { AcquireOptions, FirstTry, Held, Lease, LockInfo, ReadAlong, WriteLock } from './types.js';
import { Wakeups } from './wakeups.js';

// KEYS: lock, fence[, file[, content]]. ARGV: token, ttl ms, holder, kind. Returns {1, fence, expiresAt, ...} or
// {0, holder, kind, expiresAt} (expiry in ms of Redis time, as granted: every node reports the same instant). With a
// file key, a granted lease comes with the file's count and head (and the content's name and version): the write's
// state, read at the instant it got the lease, as a separate read right after it would see it. A refusal marks the
// lease `waited`: only a lease someone waited for is announced when it ends (RELEASE, and the commit that ends a
// write's own lease), so an uncontended write publishes nothing on LOCK_RELEASED_CHANNEL, which every node receives.
const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  local h = redis.call('HMGET', KEYS[1], 'holder', 'kind', 'expiresAt')
  redis.call('HSETNX', KEYS[1], 'waited', '1')
  return {0, h[1] or '', h[2] or '', h[3] or '0'}
end
-- the reads first: a key of the wrong type fails the script before it has written anything
local f = KEYS[3] and redis.call('HMGET', KEYS[3], 'count', 'head')
local c = KEYS[4] and redis.call('HMGET', KEYS[4], 'name', 'version')
local fence = redis.call('INCR', KEYS[2])
local t = redis.call('TIME')
local expires = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'holder', ARGV[3], 'kind', ARGV[4], 'fence', fence, 'expiresAt', expires)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local out = {1, fence, expires}
if f then out[4], out[5] = f[1], f[2] end
if c then out[6], out[7] = c[1], c[2] end
return out
`;
// KEYS: lock. ARGV: token, channel, name. Compare-and-delete; a release someone waited for is announced so waiters
// need not poll.
const RELEASE = `
local h = redis.call('HMGET', KEYS[1], 'token', 'waited')
if h[1] == ARGV[1] then
  redis.call('DEL', KEYS[1])
  if h[2] then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
  return 1
end
return 0
`;
// KEYS: lock. ARGV: token, ttl ms. Compare-and-extend. Returns the new expiry, or 0.
const EXTEND = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
local expires = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'expiresAt', expires)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return expires
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    kubecdnLockAcquire(numKeys: number, ...keysThenArgs: (string | number)[]): Result<(number | string | null)[], Context>;
    kubecdnLockRelease(lock: string, token: string, channel: string, name: string): Result<number, Context>;
    kubecdnLockExtend(lock: string, token: string, ttlMs: number): Result<number, Context>;
  }
}

/** ACQUIRE's answer past {1, fence, expiresAt}: the file's fields, then the content's when it was asked. Pure. */
export function readAlongFrom(reply: readonly (number | string | null | undefined)[], withContent: boolean): ReadAlong {
  // (a missing field is nil; Redis also drops nils at the end of a script's table: absent reads as null)
  const at = (i: number): string | null => {
    const v = reply[i];
    return v === undefined || v === null ? null : String(v);
  };
  const file = [at(3), at(4)] as const;
  return withContent ? { file, content: [at(5), at(6)] } : { file };
}

/**
 * A lease token: random (122 bits), so that no one can guess one to write under another's lease or lock; 32 hex digits
 * as before. randomUUID draws from a batch of entropy: 0.26 us a token here, where randomBytes(16) was 5.4 us.
 */
const newToken = (): string => randomUUID().replaceAll('-', '');


export class RedisLeaseLock implements WriteLock {
  readonly mode = 'redis';
  /** waiters on this node; fed by the subscriber with LOCK_RELEASED_CHANNEL messages (node.ts) */
  readonly wakeups = new Wakeups();

  constructor(
    private readonly redis: Redis,
    private readonly local: LocalLock,
    private readonly opts: { nodeId: string; writeTtlMs: number; writeWaitMs: number },
    private readonly metrics: Metrics,
  ) {
    redis.defineCommand('kubecdnLockAcquire', { lua: ACQUIRE }); // the key count goes first: 2 to 4 keys
    redis.defineCommand('kubecdnLockRelease', { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand('kubecdnLockExtend', { numberOfKeys: 1, lua: EXTEND });
  }

  /** Takes a lease now, or tells who holds it. */
  async tryAcquire(name: string, ttlMs: number, holder: string, kind: 'write' | 'api', readAlong?: AcquireOptions['readAlong']): Promise<Lease | LockInfo> {
    const token = newToken();
    const reads = readAlong === undefined ? [] : [keys.file(name), ...(readAlong.sha256 === undefined ? [] : [keys.content(readAlong.sha256)])];
    const r = await this.redis.kubecdnLockAcquire(2 + reads.length, keys.lock(name), keys.fence(name), ...reads, token, ttlMs, holder, kind);
    if (Number(r[0]) === 1) {
      const lease = { token, fence: Number(r[1]), expiresAt: Number(r[2]) };
      return readAlong === undefined ? lease : { ...lease, readAlong: readAlongFrom(r, readAlong.sha256 !== undefined) };
    }
    return { holder: String(r[1]), kind: String(r[2]), expiresAt: Number(r[3]) };
  }

  /**
   * A lease held by someone else makes a write wait: up to LOCK_WAIT_MS behind another write, up to the request's
   * waitMs (default 0) behind a lock-API holder; then 423 locked. A write carrying the API holder's token joins it.
   */
  async acquire(name: string, opts: AcquireOptions = {}): Promise<Held> {
    const got = await this.acquireOr<never>(name, opts, undefined);
    if ('held' in got) return got.held;
    throw new Error('no first try, yet done'); // (unreachable: only a first try answers done)
  }

  /**
   * As acquire, but the first try is `first` (a lease and the write's commit in one step, MetadataStore
   * commitUnleased) when no other write of this node waits for the name: it either commits, and the write holds no
   * lease afterwards ({ done }), or answers as a lease's acquire would. Not for a write carrying a lock-API token.
   */
  async acquireOrCommit<T>(name: string, opts: AcquireOptions, first: FirstTry<T>): Promise<{ held: Held } | { done: T }> {
    return this.acquireOr(name, opts, first);
  }

  private async acquireOr<T>(name: string, opts: AcquireOptions, first: FirstTry<T> | undefined): Promise<{ held: Held } | { done: T }> {
    const stopWait = this.metrics.lockWaitSeconds.startTimer({ mode: this.mode });
    this.metrics.lockAcquisitions.inc({ mode: this.mode });
    if (opts.token !== undefined) return { held: await this.join(name, opts.token, stopWait) };
    const { held: queued, waited } = await this.local.enqueue(name); // one poller per node per name
    try {
      const got = await this.poll(name, opts, stopWait, waited, waited ? undefined : first);
      if ('done' in got) {
        queued.release();
        return got;
      }
      const lease = got;
      return {
        held: {
          fence: lease.fence,
          token: lease.token,
          endsWithCommit: true,
          readAlong: lease.readAlong,
          release: (committed?: boolean) => {
            queued.release();
            // a commit that ended the lease leaves nothing to release; a release that fails leaves it to expire
            if (!committed) void this.release(name, lease.token).catch(() => undefined);
          },
        },
      };
    } catch (err) {
      queued.release();
      throw err;
    }
  }

  private async poll<T>(name: string, opts: AcquireOptions, stopWait: () => number, queuedBehind: boolean, first: FirstTry<T> | undefined): Promise<Lease | { done: T }> {
    const apiWaitMs = opts.waitMs;
    const start = Date.now();
    let delay = 2;
    let contended = queuedBehind; // waiting behind a writer on this node is contention too
    if (contended) this.metrics.lockContended.inc({ mode: this.mode });
    for (let tries = 0; ; tries++) {
      const r =
        tries === 0 && first !== undefined
          ? await first(newToken(), { ttlMs: this.opts.writeTtlMs, holder: this.writeHolder })
          : await this.tryAcquire(name, this.opts.writeTtlMs, this.writeHolder, 'write', opts.readAlong);
      if ('token' in r || 'done' in r) {
        stopWait();
        return r;
      }
      if (!contended) this.metrics.lockContended.inc({ mode: this.mode });
      contended = true;
      const limit = r.kind === 'api' ? (apiWaitMs ?? 0) : Math.max(apiWaitMs ?? 0, this.opts.writeWaitMs);
      if (Date.now() - start + delay > limit) {
        this.metrics.lockTimeouts.inc({ mode: this.mode });
        stopWait();
        throw apiError('locked', `"${name}" is locked by ${r.holder} until ${new Date(r.expiresAt).toISOString()}.`, {
          holder: r.holder,
          expiresAt: new Date(r.expiresAt).toISOString(),
        });
      }
      await this.wakeups.wait(name, delay);
      delay = Math.min(delay * 2, 50);
    }
  }

  private get writeHolder(): string {
    return `write:${this.opts.nodeId}`;
  }

  /** A write that carries the lock-API token: allowed while that lease is the one held. */
  private async join(name: string, token: string, stopWait: () => number): Promise<Held> {
    const [held, fence] = await this.redis.hmget(keys.lock(name), 'token', 'fence');
    stopWait();
    if (held !== token) throw apiError('lock_not_held', `X-Lock-Token does not hold the lock on "${name}" (expired or released?).`);
    return { fence: Number(fence), token, release: () => undefined }; // the API holder releases it
  }

  async info(name: string): Promise<LockInfo & { fence: number; token: string } | undefined> {
    const [h, pttl] = await Promise.all([this.redis.hgetall(keys.lock(name)), this.redis.pttl(keys.lock(name))]);
    if (!h.token || pttl < 0) return undefined;
    return { holder: h.holder ?? '', kind: h.kind ?? '', expiresAt: Number(h.expiresAt), fence: Number(h.fence), token: h.token };
  }

  async extend(name: string, token: string, ttlMs: number): Promise<number | undefined> {
    const expires = await this.redis.kubecdnLockExtend(keys.lock(name), token, ttlMs);
    return expires === 0 ? undefined : expires;
  }

  async release(name: string, token: string): Promise<boolean> {
    return (await this.redis.kubecdnLockRelease(keys.lock(name), token, LOCK_RELEASED_CHANNEL, name)) === 1;
  }
}
