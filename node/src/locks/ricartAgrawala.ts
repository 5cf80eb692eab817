// LOCK_MODE=ricart-agrawala: the Ricart-Agrawala algorithm among the live members, per name, over peer routes.
// A requester stamps its request with its Lamport clock and sends REQUEST to every other live member; a member
// replies at once unless it is in the critical section for that name or has an older request of its own
// ((timestamp, id) order), in which case it defers the REPLY until it leaves. Entry after every REPLY:
// 2(N-1) messages per entry. A member whose heartbeat expires is dropped from the set awaited, so a crashed node
// cannot block the others forever. One request per name per node at a time (the in-process queue in front).
// A REPLY that cannot be delivered is owed, not dropped (see `owed`).
import { LRUCache } from 'lru-cache';
import type { Membership } from '../cluster/membership.js';
import type { PeerClient } from '../cluster/peerClient.js';
import { apiError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { LocalLock } from './localLock.js';
import type { AcquireOptions, Held, WriteLock } from './types.js';

interface Request {
  readonly ts: number;
  /** another member asked for the same name while we waited */
  contended: boolean;
  readonly waiting: Set<string>;
  /** awaited members our REQUEST did not reach (a restarting peer): sent again on the next heartbeat */
  readonly unsent: Set<string>;
  readonly entered: () => void;
}

/** Pure: does the request (ts, id) go before (otherTs, otherId)? Ties broken by node id. */
export const precedes = (ts: number, id: string, otherTs: number, otherId: string): boolean =>
  ts < otherTs || (ts === otherTs && id < otherId);

export interface RicartAgrawalaDeps {
  readonly membership: Membership;
  readonly peers: PeerClient;
  /** the in-process queue in front: one request per name per node at a time */
  readonly local: LocalLock;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** LOCK_WAIT_MS: how long to wait for every reply before 423 */
  readonly waitMs: number;
}

export class RicartAgrawalaLock implements WriteLock {
  readonly mode = 'ricart-agrawala';
  private clock = 0;
  private readonly requests = new Map<string, Request>();
  private readonly inside = new Set<string>();
  /** REQUESTs answered on leaving: name → requester → its request's timestamp */
  private readonly deferred = new Map<string, Map<string, number>>();
  /**
   * REPLYs not delivered yet, by `to\nname`. A restarted node's REQUEST can arrive before its first heartbeat reaches
   * this node's member view (so it has no URL here), or a send can fail on the way; a lost REPLY would hold that
   * requester until LOCK_WAIT_MS and then 423 its write. They are retried when the member appears and on every
   * heartbeat, and forgotten after LOCK_WAIT_MS, when the requester has given up (a later one would not count: it
   * carries the timestamp it answers). Bounded: one per requester and name.
   */
  private readonly owed: LRUCache<string, { to: string; name: string; re: number }>;

  constructor(private readonly deps: RicartAgrawalaDeps) {
    this.owed = new LRUCache({ max: 10_000, ttl: deps.waitMs });
    // A member that left can neither reply nor be waited for.
    deps.membership.on('-member', (id: string) => {
      for (const [name, req] of this.requests) this.gotReply(name, id, req);
    });
    deps.membership.on('+member', () => this.retry());
    deps.membership.on('beat', () => this.retry());
  }

  async acquire(name: string, _opts?: AcquireOptions): Promise<Held> {
    const stopWait = this.deps.metrics.lockWaitSeconds.startTimer({ mode: this.mode });
    this.deps.metrics.lockAcquisitions.inc({ mode: this.mode });
    const { held: queued, waited } = await this.deps.local.enqueue(name);
    const self = this.deps.membership.self.id;
    const others = this.deps.membership.ids().filter((id) => id !== self);
    const ts = ++this.clock;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const req: Request = { ts, waiting: new Set(others), unsent: new Set(), entered: resolve, contended: false };
        this.requests.set(name, req);
        if (req.waiting.size === 0) return resolve();
        timer = setTimeout(() => reject(apiError('locked', `Timed out waiting for the other members' replies for "${name}".`)), this.deps.waitMs);
        for (const id of others) void this.send(id, 'request', name, ts);
      });
    } catch (err) {
      this.deps.metrics.lockTimeouts.inc({ mode: this.mode });
      this.leave(name);
      queued.release();
      throw err;
    } finally {
      clearTimeout(timer);
      stopWait();
    }
    if (waited || this.requests.get(name)?.contended) this.deps.metrics.lockContended.inc({ mode: this.mode });
    this.requests.delete(name);
    this.inside.add(name);
    return {
      fence: 0, // ordering comes from the commit's compare-and-set; leases and fences are the redis mode's
      release: () => {
        this.leave(name);
        queued.release();
      },
    };
  }

  /** REQUEST from a peer (peer route): `ts` is its request's timestamp, echoed in the REPLY. */
  onRequest(name: string, ts: number, from: string): void {
    this.deps.metrics.raMessages.inc({ direction: 'received', type: 'request' });
    this.clock = Math.max(this.clock, ts) + 1;
    const mine = this.requests.get(name);
    if (mine) mine.contended = true;
    const self = this.deps.membership.self.id;
    if (this.inside.has(name) || (mine !== undefined && precedes(mine.ts, self, ts, from))) {
      let d = this.deferred.get(name);
      if (!d) this.deferred.set(name, (d = new Map<string, number>()));
      d.set(from, ts);
      return;
    }
    this.reply(from, name, ts);
  }

  /**
   * REPLY from a peer (peer route). `re` is the timestamp of the request it answers: a late REPLY to a request this
   * node gave up on must not count for its next one. (`re` absent: a node from before it was sent; counted.)
   */
  onReply(name: string, ts: number, from: string, re: number | undefined): void {
    this.deps.metrics.raMessages.inc({ direction: 'received', type: 'reply' });
    this.clock = Math.max(this.clock, ts) + 1;
    const req = this.requests.get(name);
    if (req && (re === undefined || re === req.ts)) this.gotReply(name, from, req);
  }

  private gotReply(_name: string, from: string, req: Request): void {
    if (!req.waiting.delete(from)) return;
    if (req.waiting.size === 0) req.entered();
  }

  /** Leaving the critical section (or giving up): answer everyone we deferred. */
  private leave(name: string): void {
    this.inside.delete(name);
    this.requests.delete(name);
    const d = this.deferred.get(name);
    this.deferred.delete(name);
    for (const [id, re] of d ?? []) this.reply(id, name, re);
  }

  private reply(to: string, name: string, re: number): void {
    if (this.deps.membership.url(to) === undefined) {
      this.owed.set(`${to}\n${name}`, { to, name, re });
      return;
    }
    void this.send(to, 'reply', name, re);
  }

  /** Sends again what did not get through: owed REPLYs, and REQUESTs still awaited. */
  private retry(): void {
    for (const [name, req] of this.requests) {
      for (const id of req.unsent) {
        if (!req.waiting.has(id) || this.deps.membership.url(id) === undefined) continue;
        req.unsent.delete(id);
        void this.send(id, 'request', name, req.ts);
      }
    }
    for (const [key, owed] of this.owed.entries()) {
      if (this.deps.membership.url(owed.to) === undefined) continue;
      this.owed.delete(key);
      void this.send(owed.to, 'reply', owed.name, owed.re);
    }
  }

  /** `re`: for a REPLY, the timestamp of the request it answers. */
  private async send(to: string, type: 'request' | 'reply', name: string, re: number): Promise<void> {
    this.deps.metrics.raMessages.inc({ direction: 'sent', type });
    const ts = type === 'request' ? re : ++this.clock;
    try {
      await this.deps.peers.raMessage(to, type, { name, ts, from: this.deps.membership.self.id, ...(type === 'reply' ? { re } : {}) });
    } catch (err) {
      // Sent again on the next heartbeat. A member that is down: its heartbeat expires and '-member' stops us
      // waiting for it.
      this.deps.log.warn({ to, type, name, err: (err as Error).message }, 'ricart-agrawala message not delivered');
      const req = this.requests.get(name);
      if (type === 'reply') this.owed.set(`${to}\n${name}`, { to, name, re });
      else if (req?.ts === re) req.unsent.add(to);
    }
  }

}
