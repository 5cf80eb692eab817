// Cluster membership in Redis: each node renews {id -> url} with an expiry (Redis server time, so node clocks do
// not matter) and reads the live set back in the same script. The view is diffed, wanted vs current, like ioredis's
// ConnectionPool.reset: '+member' / '-member' / 'changed' events, and the state of the view is explicit.
import { EventEmitter } from 'node:events';
import type { Redis, Result } from 'ioredis';
import type { Logger } from '../log.js';
import { keys } from '../metadata/keys.js';
import { pairsOf } from '../metadata/replies.js';

// KEYS: 1 members zset (id -> expiry ms), 2 urls hash (id -> url), 3 this node's stale flag.
// ARGV: 1 id, 2 url, 3 ttl ms, 4 join (1) / leave (0). Returns {stale flag or '', id1, url1, id2, url2, ...}.
const HEARTBEAT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[4] == '1' then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, id in ipairs(gone) do redis.call('HDEL', KEYS[2], id) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local out = {redis.call('GETDEL', KEYS[3]) or ''}
for _, id in ipairs(ids) do
  table.insert(out, id)
  table.insert(out, redis.call('HGET', KEYS[2], id) or '')
end
return out
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    kubecdnHeartbeat(
      members: string,
      urls: string,
      stale: string,
      id: string,
      url: string,
      ttlMs: number,
      join: string,
    ): Result<string[], Context>;
  }
}

export type MembershipStatus = 'joining' | 'member' | 'lost' | 'left';

export interface Member {
  readonly id: string;
  readonly url: string;
}

/** Pure: what changed between two views. */
export function diffMembers(current: ReadonlyMap<string, string>, wanted: ReadonlyMap<string, string>): { added: Member[]; removed: string[] } {
  const added: Member[] = [];
  const removed: string[] = [];
  for (const [id, url] of wanted) if (current.get(id) !== url) added.push({ id, url });
  for (const id of current.keys()) if (!wanted.has(id)) removed.push(id);
  return { added, removed };
}

export class Membership extends EventEmitter {
  status: MembershipStatus = 'joining';
  private view = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  /**
   * When the last successful heartbeat was SENT (local clock): Redis read our stale flag after this instant, so a
   * flag set later is seen by a beat within HEAD_LEASE_MS of it, or our lease (from this instant) has lapsed.
   */
  lastBeatAt = 0;

  constructor(
    private readonly redis: Redis,
    readonly self: Member,
    private readonly opts: { heartbeatMs: number; ttlMs: number },
    private readonly log: Logger,
  ) {
    super();
    redis.defineCommand('kubecdnHeartbeat', { numberOfKeys: 3, lua: HEARTBEAT_LUA });
  }

  /** Live member ids (self included while a member). */
  ids(): string[] {
    return [...this.view.keys()];
  }

  url(id: string): string | undefined {
    return this.view.get(id);
  }

  async start(): Promise<void> {
    await this.beat(true);
    this.timer = setInterval(() => void this.beat(true), this.opts.heartbeatMs);
    this.timer.unref();
  }

  /** Leaves the member list at once (SIGTERM: before handing blobs off), keeping the view of the others. */
  async leave(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beat(false);
    this.setStatus('left');
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async beat(join: boolean): Promise<void> {
    const sentAt = Date.now();
    try {
      const [stale, ...flat] = await this.redis.kubecdnHeartbeat(
        keys.members,
        keys.memberUrls,
        keys.stale(this.self.id),
        this.self.id,
        this.self.url,
        this.opts.ttlMs,
        join ? '1' : '0',
      );
      if (stale) this.emit('stale'); // a writer could not reach us: drop cached heads before trusting them again
      const wanted = pairsOf(flat);
      this.lastBeatAt = sentAt;
      this.apply(wanted);
      if (join) this.setStatus('member');
      this.emit('beat');
    } catch (err) {
      this.setStatus('lost');
      this.log.warn({ err: (err as Error).message }, 'heartbeat failed');
    }
  }

  private apply(wanted: Map<string, string>): void {
    const { added, removed } = diffMembers(this.view, wanted);
    if (added.length === 0 && removed.length === 0) return;
    this.view = wanted;
    for (const m of added) this.emit('+member', m);
    for (const id of removed) this.emit('-member', id);
    this.log.info({ members: [...wanted.keys()], added: added.map((m) => m.id), removed }, 'membership changed');
    this.emit('changed');
  }

  private setStatus(next: MembershipStatus): void {
    if (this.status === next || this.status === 'left') return;
    this.log.info({ from: this.status, to: next }, 'membership status');
    this.status = next;
    this.emit('status', next);
  }
}
