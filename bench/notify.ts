// Write -> notification latency: sequential small writes to node A, timed until their event reaches an SSE client
// attached to node B (GET /events) and a subscriber of the Redis channel `file_notifications`.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Redis } from 'ioredis';
import { SseParser } from '../cli/src/sse.js';
import { keepAliveAgent, putFile } from './client.js';
import { say, type Ctx } from './context.js';
import { summarize, type Summary } from './stats.js';

export interface NotifyChannel {
  readonly received: number;
  /**
   * event arrival (wall clock) - the version's own time, taken by the writing node inside its critical section just
   * before the commit (same machine, same clock; ms resolution): the notification path alone
   */
  readonly fromCommitMs: Summary;
  /** event arrival - the moment the client started sending the PUT */
  readonly fromSendMs: Summary;
  /** event arrival - the moment the PUT's answer arrived (negative: the event came first) */
  readonly afterAckMs: Summary;
}

export interface NotifyResult {
  readonly writes: number;
  readonly writeNode: string;
  readonly sseNode: string;
  readonly putMs: Summary;
  readonly sse: NotifyChannel;
  readonly redis: NotifyChannel;
}

/** key -> when its event arrived: performance.now() (for the client-side times) and the wall clock ms */
type Arrivals = Map<string, { at: number; wallMs: number; committedMs: number }>;
const key = (name: unknown, version: unknown): string => `${String(name)}#${String(version)}`;

function record(arrivals: Arrivals, payload: string, at: number): void {
  const e = JSON.parse(payload) as { filename?: string; version?: number; time?: string };
  arrivals.set(key(e.filename, e.version), { at, wallMs: Date.now(), committedMs: Date.parse(e.time ?? '') });
}

/** An /events stream; each event is stamped with the time its bytes arrived. */
function sseClient(base: string, arrivals: Arrivals): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/events`, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`/events: ${res.statusCode}`));
      const parser = new SseParser();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = performance.now();
        for (const ev of parser.push(chunk)) record(arrivals, ev.data, at);
      });
      res.once('error', () => undefined); // aborted at the end
      resolve(req);
    });
    req.once('error', reject);
  });
}

async function redisSubscriber(url: string, arrivals: Arrivals): Promise<Redis> {
  const sub = new Redis(url);
  sub.on('error', () => undefined);
  sub.on('message', (_channel: string, message: string) => record(arrivals, message, performance.now()));
  await sub.subscribe('file_notifications');
  return sub;
}

export async function runNotify(ctx: Ctx): Promise<NotifyResult> {
  const { cluster, plan } = ctx;
  const [a, b] = cluster.nodes;
  if (!a || !b) throw new Error('notify needs two nodes');
  const sse: Arrivals = new Map();
  const pubsub: Arrivals = new Map();
  const sseReq = await sseClient(b.url, sse);
  const sub = await redisSubscriber(cluster.redis.redisUrl, pubsub);
  const agent = keepAliveAgent(1);
  const name = 'notify/bench.txt';
  const writes: { key: string; t0: number; tAck: number }[] = [];
  say(`notify: ${plan.notifyWrites} sequential 1 KiB writes to ${a.id}, SSE on ${b.id} and Redis Pub/Sub`);
  try {
    for (let i = 0; i < plan.notifyWrites; i++) {
      const r = await putFile(a.url, name, randomBytes(1024), cluster.token, agent);
      const version = (JSON.parse(r.body?.toString() ?? '{}') as { version?: number }).version;
      writes.push({ key: key(name, version), t0: r.t0, tAck: r.tEnd });
    }
    const deadline = Date.now() + 3000; // late events still count; missing ones are reported as not received
    while ((sse.size < writes.length || pubsub.size < writes.length) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  } finally {
    sseReq.destroy();
    sub.disconnect();
    agent.destroy();
  }
  const channel = (arrivals: Arrivals): NotifyChannel => {
    const got = writes.filter((w) => arrivals.has(w.key));
    const arrival = (w: { key: string }) => arrivals.get(w.key)!;
    const at = (w: { key: string }): number => arrival(w).at;
    return {
      received: got.length,
      fromCommitMs: summarize(got.map((w) => arrival(w).wallMs - arrival(w).committedMs).filter((v) => Number.isFinite(v))),
      fromSendMs: summarize(got.map((w) => at(w) - w.t0)),
      afterAckMs: summarize(got.map((w) => at(w) - w.tAck)),
    };
  };
  return {
    writes: writes.length,
    writeNode: a.id,
    sseNode: b.id,
    putMs: summarize(writes.map((w) => w.tAck - w.t0)),
    sse: channel(sse),
    redis: channel(pubsub),
  };
}
