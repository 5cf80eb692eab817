// LOCK_MODE=ricart-agrawala: the Ricart-Agrawala algorithm among the live members, per name, over peer routes.
// A requester stamps its request with its Lamport clock and sends REQUEST to every other live member; a member
// replies at once unless it is in the critical section for that name or has an older request of its own
// ((timestamp, id) order), in which case it defers the REPLY until it leaves. Entry after every REPLY:
// 2(N-1) messages per entry. A member whose heartbeat expires is dropped from the set awaited, so a crashed node
// cannot block the others forever. One request per name per node at a time (the in-process queue in front).
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
  private readonly deferred = new Map<string, Set<string>>();

  constructor(private readonly deps: RicartAgrawalaDeps) {
    // A member that left can neither reply nor be waited for.
    deps.membership.on('-member', (id: string) => {
      for (const [name, req] of this.requests) this.gotReply(name, id, req);
    });
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
        const req: Request = { ts, waiting: new Set(others), entered: resolve, contended: false };
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

  /** REQUEST from a peer (peer route). */
  onRequest(name: string, ts: number, from: string): void {
    this.deps.metrics.raMessages.inc({ direction: 'received', type: 'request' });
    this.clock = Math.max(this.clock, ts) + 1;
    const mine = this.requests.get(name);
    if (mine) mine.contended = true;
    const self = this.deps.membership.self.id;
    if (this.inside.has(name) || (mine !== undefined && precedes(mine.ts, self, ts, from))) {
      let d = this.deferred.get(name);
      if (!d) this.deferred.set(name, (d = new Set()));
      d.add(from);
      return;
    }
    void this.send(from, 'reply', name, this.clock);
  }

  /** REPLY from a peer (peer route). */
  onReply(name: string, ts: number, from: string): void {
    this.deps.metrics.raMessages.inc({ direction: 'received', type: 'reply' });
    this.clock = Math.max(this.clock, ts) + 1;
    const req = this.requests.get(name);
    if (req) this.gotReply(name, from, req);
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
    for (const id of d ?? []) void this.send(id, 'reply', name, ++this.clock);
  }

  private async send(to: string, type: 'request' | 'reply', name: string, ts: number): Promise<void> {
    this.deps.metrics.raMessages.inc({ direction: 'sent', type });
    try {
      await this.deps.peers.raMessage(to, type, { name, ts, from: this.deps.membership.self.id });
    } catch (err) {
      // Unreachable: if it is down, its heartbeat expires and '-member' stops us waiting for it.
      this.deps.log.warn({ to, type, name, err: (err as Error).message }, 'ricart-agrawala message not delivered');
    }
  }
}
