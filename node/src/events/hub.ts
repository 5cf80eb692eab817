// GET /events: Server-Sent Events of change notifications. Live events come from the node's one Pub/Sub
// subscription (no Redis connection per client); the capped stream fills gaps: on connect with Last-Event-ID, and
// after the subscription itself reconnects.
//
// /events needs no token, so what a subscriber can make the node hold is bounded, per client and in total. When the
// replay and live events were written regardless of the socket (cut-off 4 MiB per client), 50 clients that opened
// ?from=0 and never read grew the node's RSS by ~150 MB (~3 MB each; 100 of them: +336 MB). Now the replay reads the
// stream only while the client's unsent bytes are under a high-water mark and waits for 'drain' (with a deadline);
// a client over its own cap is dropped, and when all backlogs together pass the total budget the largest go first.
// The same 50 clients: +27-29 MB peak, about what 50 clients that do read cost (test/integration/eventsMemory).
// A dropped client resumes from its last id (Last-Event-ID), so it loses nothing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import { apiError } from '../errors.js';
import type { Logger } from '../log.js';
import { keys } from '../metadata/keys.js';
import type { Metrics } from '../metrics.js';
import type { Notification, Subscriber } from './subscriber.js';

// Small, because 50 replays at once keep 50 batches in flight: with 200 the 50 idle clients above peaked at
// +45-77 MB RSS, with 50 at +22-29 MB. A stalled replay holds no batch while it waits (it reads again from lastId).
const REPLAY_BATCH = 50;
/** Between retries of a replay read that failed while the connection stayed up (a Redis that answers too slowly). */
const REPLAY_RETRY_PAUSE_MS = 250;
export const STREAM_ID_RE = /^\d{1,20}-\d{1,20}$/;
const U64_MAX = 2n ** 64n - 1n;

export interface SseLimits {
  /** the replay reads on only while the client's unsent bytes are at most this */
  readonly replayHighWaterBytes: number;
  /** how long a replay waits for a full socket to drain, or retries a failed read, before the client is dropped */
  readonly replayStallMs: number;
  /** a client whose unsent bytes pass this is dropped */
  readonly clientMaxBytes: number;
  /** when the unsent bytes of all clients together pass this, the largest backlogs are dropped first */
  readonly totalMaxBytes: number;
  /** live events queued during a replay; past this the queue is let go and the stream read once more */
  readonly pendingMaxBytes: number;
}

export const SSE_LIMITS: SseLimits = Object.freeze({
  replayHighWaterBytes: 64 * 1024,
  replayStallMs: 30_000,
  clientMaxBytes: 256 * 1024,
  totalMaxBytes: 16 * 1024 * 1024,
  pendingMaxBytes: 64 * 1024,
});

/** A Redis stream id ("ms-seq"), each part a u64: Redis refuses anything larger. Pure. */
export function isStreamId(s: string): boolean {
  return STREAM_ID_RE.test(s) && s.split('-').every((part) => BigInt(part) <= U64_MAX);
}

/** Orders stream ids ("ms-seq"). Pure. */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const s = BigInt(as) - BigInt(bs);
  return s === 0n ? 0 : s < 0n ? -1 : 1;
}

export interface Backlog<T> {
  readonly client: T;
  readonly bytes: number;
}

/**
 * Which clients to drop: every one over its own cap, then the largest backlogs until the rest fit the total budget
 * (fewest clients lose their connection). keptBytes is what the others still hold. Pure.
 */
export function planDrops<T>(
  backlogs: readonly Backlog<T>[],
  limits: Pick<SseLimits, 'clientMaxBytes' | 'totalMaxBytes'>,
): { drop: T[]; keptBytes: number } {
  const drop = backlogs.filter((b) => b.bytes > limits.clientMaxBytes).map((b) => b.client);
  const kept = backlogs.filter((b) => b.bytes <= limits.clientMaxBytes);
  let keptBytes = kept.reduce((sum, b) => sum + b.bytes, 0);
  if (keptBytes <= limits.totalMaxBytes) return { drop, keptBytes };
  for (const b of kept.sort((x, y) => y.bytes - x.bytes)) {
    if (keptBytes <= limits.totalMaxBytes) break;
    drop.push(b.client);
    keptBytes -= b.bytes;
  }
  return { drop, keptBytes };
}

/** The SSE data of a stream entry: the stored JSON with its id, the same shape Pub/Sub carries. */
const withId = (json: string, id: string): string => `${json.slice(0, -1)},"id":"${id}"}`;

type ReplayEnd = 'done' | 'stalled' | 'closed';

class Client {
  lastId = '0-0';
  private replaying = true; // live events wait in `pending` until the first replay has run
  private running = false;
  private reread = false;
  private pending: Array<[string, string]> = [];
  private pendingBytes = 0;

  constructor(
    readonly res: ServerResponse,
    private readonly redis: Redis,
    private readonly limits: SseLimits,
    private readonly waiting: () => void,
    private readonly redisBack: (deadline: number) => Promise<void>,
  ) {}

  /** Unsent bytes: in the response and its socket, not yet taken by the kernel. */
  get backlog(): number {
    return this.res.writableLength;
  }

  deliver(id: string, data: string): void {
    if (!this.replaying) {
      this.send(id, data);
      return;
    }
    if (this.pendingBytes + data.length <= this.limits.pendingMaxBytes) {
      this.pending.push([id, data]);
      this.pendingBytes += data.length;
      return;
    }
    // Every live event is in the stream before it is published (one script), so reading the stream again after
    // this pass finds what is let go here.
    this.clearPending();
    this.reread = true;
  }

  /**
   * The response can take no more: the client left (destroyed) or the hub ended it (close(), at shutdown). A write
   * after end emits an error on the response that nothing listens for: an uncaught exception (CI: a replay whose read
   * came back after the node began shutting down).
   */
  private get gone(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  /** Sends everything in the stream after lastId, then whatever arrived live meanwhile. */
  async catchUp(): Promise<ReplayEnd> {
    if (this.running) {
      this.reread = true; // the replay under way reads the stream once more before it goes live
      return 'done';
    }
    this.running = this.replaying = true;
    let end: ReplayEnd = 'closed';
    try {
      do {
        this.reread = false;
        end = await this.replayRetrying();
      } while (end === 'done' && this.reread);
    } finally {
      this.running = this.replaying = false;
      const pending = this.pending;
      this.clearPending();
      if (end === 'done') for (const [id, data] of pending) this.send(id, data);
    }
    return end;
  }

  /**
   * replay(), read again after a failed read until replayStallMs passes. A read fails when Redis restarts under it or
   * stops answering; dropping the client then lost it for good to a client that does not reconnect (CI: a replay in
   * flight when the test's Redis was killed). Retrying keeps its place: live events wait in `pending` meanwhile, and
   * the retry reads the stream from lastId, so nothing is skipped.
   */
  private async replayRetrying(): Promise<ReplayEnd> {
    const deadline = Date.now() + this.limits.replayStallMs;
    for (;;) {
      try {
        return await this.replay();
      } catch (err) {
        if (this.gone) return 'closed';
        if (Date.now() >= deadline) throw err;
        await this.redisBack(deadline);
      }
    }
  }

  private async replay(): Promise<ReplayEnd> {
    for (;;) {
      if (this.gone) return 'closed';
      if (this.backlog > this.limits.replayHighWaterBytes && !(await this.drained())) return 'stalled';
      const batch = await this.redis.xrange(keys.events, `(${this.lastId}`, '+', 'COUNT', REPLAY_BATCH);
      const sent = this.sendUntilFull(batch);
      if (sent === batch.length && batch.length < REPLAY_BATCH) return 'done';
    }
  }

  /**
   * Writes entries as one chunk, up to about the high-water mark (string length, not bytes); the rest are read again
   * from lastId once the socket drains. One write per chunk, not per event: 50 replays at once grew the heap less.
   * XRANGE from "(lastId" returns only newer ids, so no comparison is needed here.
   */
  private sendUntilFull(batch: Array<[string, string[]]>): number {
    let out = '';
    let i = 0;
    for (; i < batch.length && this.backlog + out.length <= this.limits.replayHighWaterBytes; i++) {
      const [id, fields] = batch[i]!;
      out += `id: ${id}\ndata: ${withId(fields[1] ?? '{}', id)}\n\n`;
      this.lastId = id;
    }
    if (out !== '' && !this.gone) this.res.write(out);
    return i;
  }

  /** True once the socket has taken the backlog or the client left; false after replayStallMs. */
  private drained(): Promise<boolean> {
    this.waiting();
    return new Promise((resolve) => {
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        this.res.off('drain', onDrain).off('close', onDrain);
        resolve(ok);
      };
      const onDrain = (): void => finish(true);
      const timer = setTimeout(() => finish(false), this.limits.replayStallMs).unref();
      this.res.once('drain', onDrain).once('close', onDrain);
    });
  }

  private clearPending(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }

  private send(id: string, data: string): void {
    if (this.gone || compareIds(id, this.lastId) <= 0) return;
    this.lastId = id;
    this.res.write(`id: ${id}\ndata: ${data}\n\n`);
  }
}

export class EventHub {
  private readonly clients = new Set<Client>();
  private readonly limits: SseLimits;
  private heartbeat: NodeJS.Timeout | undefined;
  private checkQueued = false;
  private readyAgain: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    subscriber: Subscriber,
    private readonly opts: { maxClients: number; heartbeatMs: number; limits?: Partial<SseLimits> },
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.limits = { ...SSE_LIMITS, ...opts.limits };
    subscriber.on('message', (msg: Notification, raw: string) => {
      if (typeof msg.id !== 'string' || !isStreamId(msg.id)) return;
      for (const c of this.clients) c.deliver(msg.id, raw);
      this.queueCheck();
    });
    // Live events may have been missed while the subscription was down: fill from the stream.
    subscriber.on('resync', () => {
      for (const c of this.clients) void this.replay(c);
    });
  }

  get size(): number {
    return this.clients.size;
  }

  async open(_req: IncomingMessage, res: ServerResponse, from: string | undefined): Promise<void> {
    if (from !== undefined && from !== '0' && !isStreamId(from)) {
      throw apiError('invalid_request', 'Last-Event-ID / from must be a stream id such as 1700000000000-0.');
    }
    if (this.clients.size >= this.opts.maxClients) throw apiError('too_many_subscribers');
    const client = new Client(res, this.redis, this.limits, () => this.queueCheck(), (deadline) => this.redisBack(deadline));
    this.clients.add(client);
    this.metrics.sseClients.set(this.clients.size);
    res.on('close', () => {
      this.clients.delete(client);
      this.metrics.sseClients.set(this.clients.size);
    });
    try {
      // The starting point is fixed before anything is written; live events that arrive meanwhile wait in the
      // client's pending queue, so nothing between "connected" and the first event can be missed.
      client.lastId = from ?? (await this.top());
    } catch (err) {
      this.clients.delete(client);
      throw err;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    // An id-only block: a client that drops before its first event still resumes from here (Last-Event-ID).
    res.write(`: connected\nid: ${client.lastId}\n\n`);
    this.startHeartbeat();
    await this.replay(client);
  }

  /**
   * Resolves when a failed replay read may be tried again: once the command connection is ready again, or after a
   * pause when it is (Redis answering slowly), never past the deadline.
   */
  private redisBack(deadline: number): Promise<void> {
    const ready = this.redis.status === 'ready';
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ready ? REPLAY_RETRY_PAUSE_MS : Math.max(0, deadline - Date.now())).unref();
      if (!ready) {
        void this.nextReady().then(() => {
          clearTimeout(timer);
          resolve();
        });
      }
    });
  }

  /** One 'ready' listener shared by every waiting client (hundreds of them would each add one otherwise). */
  private nextReady(): Promise<void> {
    this.readyAgain ??= new Promise((resolve) => {
      this.redis.once('ready', () => {
        this.readyAgain = undefined;
        resolve();
      });
    });
    return this.readyAgain;
  }

  /** The newest id in the stream, so a client without Last-Event-ID starts from now. */
  private async top(): Promise<string> {
    const last = await this.redis.xrevrange(keys.events, '+', '-', 'COUNT', 1);
    return last[0]?.[0] ?? '0-0';
  }

  /** Catches one client up; never rejects. A stalled client is dropped as slow, one whose replay failed as well. */
  private async replay(c: Client): Promise<void> {
    try {
      if ((await c.catchUp()) === 'stalled') this.dropSlow(c, 'replay stalled');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'event subscriber dropped');
      c.res.destroy();
    }
  }

  /** One budget check per turn of the event loop, however many events were fanned out in it. */
  private queueCheck(): void {
    if (this.checkQueued) return;
    this.checkQueued = true;
    setImmediate(() => {
      this.checkQueued = false;
      this.enforceBudget();
    });
  }

  /** Drops whom planDrops picks, and samples what the others hold into kubecdn_sse_buffered_bytes. */
  private enforceBudget(): void {
    const backlogs: Backlog<Client>[] = [];
    for (const c of this.clients) if (!c.res.destroyed) backlogs.push({ client: c, bytes: c.backlog });
    const plan = planDrops(backlogs, this.limits);
    for (const c of plan.drop) this.dropSlow(c, 'backlog over budget');
    this.metrics.sseBufferedBytes.set(plan.keptBytes);
  }

  private dropSlow(c: Client, why: string): void {
    if (c.res.destroyed) return;
    this.metrics.sseDropped.inc();
    this.log.info({ why, lastId: c.lastId, backlog: c.backlog }, 'slow event subscriber dropped');
    c.res.destroy();
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) c.res.write(': ping\n\n');
      this.enforceBudget();
    }, this.opts.heartbeatMs);
    this.heartbeat.unref();
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }
}
