// GET /events: Server-Sent Events of change notifications. Live events come from the node's one Pub/Sub
// subscription (no Redis connection per client); the capped stream fills gaps: on connect with Last-Event-ID, and
// after the subscription itself reconnects. Each client's backlog is bounded: a client that cannot keep up is
// disconnected and resumes from its last id.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import { apiError } from '../errors.js';
import type { Logger } from '../log.js';
import { keys } from '../metadata/keys.js';
import type { Metrics } from '../metrics.js';
import type { Notification, Subscriber } from './subscriber.js';

const REPLAY_BATCH = 500;
const MAX_PENDING = 10_000;
const MAX_SOCKET_BACKLOG_BYTES = 4 * 1024 * 1024;
export const STREAM_ID_RE = /^\d{1,20}-\d{1,20}$/;

/** Orders stream ids ("ms-seq"). Pure. */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const s = BigInt(as) - BigInt(bs);
  return s === 0n ? 0 : s < 0n ? -1 : 1;
}

/** The SSE data of a stream entry: the stored JSON with its id, the same shape Pub/Sub carries. */
const withId = (json: string, id: string): string => `${json.slice(0, -1)},"id":"${id}"}`;

class Client {
  lastId = '0-0';
  private replaying = true;
  private pending: Array<[string, string]> = [];

  constructor(
    readonly res: ServerResponse,
    private readonly redis: Redis,
  ) {}

  deliver(id: string, data: string): void {
    if (this.replaying) {
      if (this.pending.length >= MAX_PENDING) this.res.destroy();
      else this.pending.push([id, data]);
      return;
    }
    this.send(id, data);
  }

  /** Sends everything in the stream after lastId, then whatever arrived live meanwhile. */
  async catchUp(): Promise<void> {
    this.replaying = true;
    try {
      for (;;) {
        const batch = await this.redis.xrange(keys.events, `(${this.lastId}`, '+', 'COUNT', REPLAY_BATCH);
        for (const [id, fields] of batch) this.send(id, withId(fields[1] ?? '{}', id));
        if (batch.length < REPLAY_BATCH) break;
      }
    } finally {
      this.replaying = false;
      const pending = this.pending;
      this.pending = [];
      for (const [id, data] of pending) this.send(id, data);
    }
  }

  private send(id: string, data: string): void {
    if (this.res.destroyed || compareIds(id, this.lastId) <= 0) return;
    this.lastId = id;
    this.res.write(`id: ${id}\ndata: ${data}\n\n`);
    if (this.res.writableLength > MAX_SOCKET_BACKLOG_BYTES) this.res.destroy();
  }
}

export class EventHub {
  private readonly clients = new Set<Client>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    subscriber: Subscriber,
    private readonly opts: { maxClients: number; heartbeatMs: number },
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    subscriber.on('message', (msg: Notification, raw: string) => {
      if (typeof msg.id !== 'string' || !STREAM_ID_RE.test(msg.id)) return;
      for (const c of this.clients) c.deliver(msg.id, raw);
    });
    // Live events may have been missed while the subscription was down: fill from the stream.
    subscriber.on('resync', () => {
      for (const c of this.clients) void c.catchUp().catch((err: Error) => this.drop(c, err));
    });
  }

  get size(): number {
    return this.clients.size;
  }

  async open(req: IncomingMessage, res: ServerResponse, from: string | undefined): Promise<void> {
    if (from !== undefined && from !== '0' && !STREAM_ID_RE.test(from)) {
      throw apiError('invalid_request', 'Last-Event-ID / from must be a stream id such as 1700000000000-0.');
    }
    if (this.clients.size >= this.opts.maxClients) throw apiError('too_many_subscribers');
    const client = new Client(res, this.redis);
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
    try {
      await client.catchUp();
    } catch (err) {
      this.drop(client, err as Error);
    }
  }

  /** The newest id in the stream, so a client without Last-Event-ID starts from now. */
  private async top(): Promise<string> {
    const last = await this.redis.xrevrange(keys.events, '+', '-', 'COUNT', 1);
    return last[0]?.[0] ?? '0-0';
  }

  private drop(c: Client, err: Error): void {
    this.log.warn({ err: err.message }, 'event subscriber dropped');
    c.res.destroy();
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) c.res.write(': ping\n\n');
    }, this.opts.heartbeatMs);
    this.heartbeat.unref();
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }
}
