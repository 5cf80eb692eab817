// A fake cluster member for fault-injection tests: a node:http server on a free loopback port that joins the member
// list in Redis through the real Membership (same script, keys, server-time expiry and renewal), serves
// GET/HEAD /internal/blobs/{sha} behind X-Cluster-Secret like the real peer, and misbehaves on request: corrupt,
// longer, truncated, stalled or slow bodies, 404s and 500s. Without `inventory: 'answer'` it is a node of the version
// before batched inventories (POST /internal/inventory answers 404); with 'stall' it never answers one. It records every request it receives (method, raw path,
// headers), so a test can also check what the real node sent it.
import { createHash } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { Membership } from '../../node/src/cluster/membership.js';
import { AUTH_HEADER, verifyPeerRequest } from '../../node/src/cluster/peerAuth.js';
import { INVENTORY_MAX_BYTES, INVENTORY_PATH, inventoryRequest } from '../../node/src/cluster/inventory.js';
import { SECRET_HEADER } from '../../node/src/cluster/peerClient.js';
import { ApiError, type ErrorCode } from '../../node/src/errors.js';
import { sameSecret } from '../../node/src/http/auth.js';
import { createLogger } from '../../node/src/log.js';
import { keys } from '../../node/src/metadata/keys.js';
import { DIGEST_RE } from '../../node/src/storage/blobStore.js';

/**
 * How one blob GET/HEAD is answered. A string uses the defaults; HEAD gets the status and headers a GET would.
 * - ok: the true bytes. corrupt: same length, one bit flipped (default: the lowest bit of the middle byte).
 * - append: `extraBytes` more (default 16), Content-Length counting them.
 * - truncate: the full Content-Length, `bytes` of the body (default half), then the socket ends.
 * - stall: headers and `bytes` of the body (default half), then silence with the socket open until stop().
 * - slow: the true bytes at `bytesPerSec` (default 64 000).
 * - missing: 404 blob_not_found. error: 500 internal.
 * An unknown digest is a 404 whatever the behaviour (except error); an empty blob cannot be corrupted or truncated.
 */
export type Behaviour =
  | 'ok' | 'corrupt' | 'append' | 'truncate' | 'stall' | 'slow' | 'missing' | 'error'
  | { kind: 'ok' | 'missing' | 'error' }
  | { kind: 'corrupt'; bit?: number }
  | { kind: 'append'; extraBytes?: number }
  | { kind: 'truncate' | 'stall'; bytes?: number }
  | { kind: 'slow'; bytesPerSec?: number };

/** One blob GET/HEAD; `n` counts them from 0 over the fake's life. */
export interface BlobCall {
  readonly method: 'GET' | 'HEAD';
  readonly sha: string;
  readonly n: number;
}

export type BehaviourChoice = Behaviour | ((call: BlobCall) => Behaviour);

export interface RecordedRequest {
  readonly method: string;
  /** the raw path and query, as received */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly at: number;
}

export interface FakePeerOptions {
  id: string;
  secret: string;
  /** served, and added to by PUTs (the same Map) */
  blobs?: Map<string, Buffer>;
  behaviour?: BehaviourChoice;
  /** as test/helpers/cluster.ts FAST: 200 and 1000 */
  heartbeatMs?: number;
  ttlMs?: number;
  maxPutBytes?: number;
  /** POST /internal/inventory: 'absent' (404, an older node; the default), 'answer' (from `blobs`), 'stall' (never) */
  inventory?: 'absent' | 'answer' | 'stall';
}

export interface FakePeer {
  readonly id: string;
  readonly url: string;
  readonly blobs: Map<string, Buffer>;
  readonly requests: RecordedRequest[];
  /** the blob count of every inventory it answered, in order */
  readonly inventories: number[];
  readonly membership: Membership;
  /** changes how the next blob GET/HEADs are answered */
  setBehaviour(b: BehaviourChoice): void;
  /** leaves the member list (ZREM + HDEL; skipped if Redis is down), destroys open sockets (stalled ones too), closes */
  stop(): Promise<void>;
  /** as a crashed node: stops renewing and closes, leaving its entry in Redis to expire */
  crash(): Promise<void>;
}

/** What a GET sends: the declared length, the bytes to write, and how the response finishes. */
interface Plan {
  length: number;
  body: Buffer;
  finish: 'end' | 'end-socket' | 'hold' | 'slow';
  bytesPerSec: number;
}

const DEFAULT_EXTRA = 16;
const DEFAULT_RATE = 64_000;
const SLOW_TICK_MS = 50;

/** Pure: the plan for one blob and one behaviour (never 'missing'/'error': those have no body). */
function planBody(blob: Buffer, b: Exclude<Behaviour, string>): Plan {
  const half = Math.floor(blob.length / 2);
  const plan: Plan = { length: blob.length, body: blob, finish: 'end', bytesPerSec: DEFAULT_RATE };
  switch (b.kind) {
    case 'corrupt': {
      const bit = b.bit ?? half * 8;
      const body = Buffer.from(blob);
      if (body.length > 0) body[Math.floor(bit / 8) % body.length]! ^= 1 << (bit % 8);
      return { ...plan, body };
    }
    case 'append': {
      const extra = Buffer.alloc(b.extraBytes ?? DEFAULT_EXTRA, 'X');
      return { ...plan, length: blob.length + extra.length, body: Buffer.concat([blob, extra]) };
    }
    case 'truncate':
    case 'stall': {
      const n = Math.min(b.bytes ?? half, Math.max(0, blob.length - 1));
      return { ...plan, body: blob.subarray(0, n), finish: b.kind === 'truncate' ? 'end-socket' : 'hold' };
    }
    case 'slow':
      return { ...plan, finish: 'slow', bytesPerSec: b.bytesPerSec ?? DEFAULT_RATE };
    default:
      return plan;
  }
}


function sendError(res: ServerResponse, code: ErrorCode, details?: Record<string, unknown>): void {
  const err = new ApiError(code, undefined, details);
  res.writeHead(err.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(err.toBody()));
}

function sendPlan(req: IncomingMessage, res: ServerResponse, p: Plan): void {
  res.writeHead(200, { 'Content-Length': String(p.length), 'Content-Type': 'application/octet-stream' });
  if (req.method === 'HEAD' || p.finish === 'end') return void res.end(req.method === 'HEAD' ? undefined : p.body);
  res.flushHeaders();
  if (p.finish === 'end-socket') return void res.write(p.body, () => res.socket?.end());
  if (p.finish === 'hold') return void (p.body.length > 0 && res.write(p.body));
  const chunk = Math.max(1, Math.floor((p.bytesPerSec * SLOW_TICK_MS) / 1000));
  let sent = 0;
  const timer = setInterval(() => {
    const piece = p.body.subarray(sent, sent + chunk);
    sent += piece.length;
    if (sent >= p.body.length) res.end(piece);
    else res.write(piece);
  }, SLOW_TICK_MS);
  res.once('close', () => clearInterval(timer));
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > maxBytes) return undefined;
    parts.push(c);
  }
  return Buffer.concat(parts);
}

export async function startFakePeer(redisUrl: string, opts: FakePeerOptions): Promise<FakePeer> {
  const blobs = opts.blobs ?? new Map<string, Buffer>();
  const requests: RecordedRequest[] = [];
  let choice: BehaviourChoice = opts.behaviour ?? 'ok';
  let calls = 0;

  const serveBlob = (req: IncomingMessage, res: ServerResponse, sha: string): void => {
    const call: BlobCall = { method: req.method === 'HEAD' ? 'HEAD' : 'GET', sha, n: calls++ };
    const picked = typeof choice === 'function' ? choice(call) : choice;
    const b = typeof picked === 'string' ? { kind: picked } : picked;
    const blob = blobs.get(sha);
    if (b.kind === 'error') return sendError(res, 'internal');
    if (b.kind === 'missing' || blob === undefined) return sendError(res, 'blob_not_found');
    sendPlan(req, res, planBody(blob, b));
  };

  const storeBlob = async (req: IncomingMessage, res: ServerResponse, sha: string): Promise<void> => {
    const body = await readBody(req, opts.maxPutBytes ?? 64 * 1024 * 1024);
    if (body === undefined) return sendError(res, 'payload_too_large');
    const actual = createHash('sha256').update(body).digest('hex');
    if (actual !== sha) return sendError(res, 'digest_mismatch', { expected: sha, actual });
    const created = !blobs.has(sha);
    blobs.set(sha, body);
    res.writeHead(created ? 201 : 200).end();
  };

  // As the real route: missing when it has no copy, bad when its copy's length differs.
  const inventories: number[] = [];
  const answerInventory = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req, INVENTORY_MAX_BYTES);
    const body = inventoryRequest.safeParse(JSON.parse(raw?.toString() ?? 'null'));
    if (!body.success) return sendError(res, 'invalid_request');
    inventories.push(body.data.blobs.length);
    const answer = { missing: [] as string[], bad: [] as string[] };
    for (const { sha256, size } of body.data.blobs) {
      const held = blobs.get(sha256);
      if (held === undefined) answer.missing.push(sha256);
      else if (held.length !== size) answer.bad.push(sha256);
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer));
  };

  const inventoryRoute = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const mode = opts.inventory ?? 'absent';
    if (mode === 'absent') return sendError(res, 'route_not_found'); // as a node of the version before
    if (mode === 'stall') return; // held open until stop()
    return answerInventory(req, res);
  };

  // As the real peerRoutes: everything under /internal needs a valid signature or the secret, checked first.
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = req.url ?? '/';
    requests.push({ method: req.method ?? '', path, headers: { ...req.headers }, at: Date.now() });
    const pathname = path.split('?')[0]!;
    if (!pathname.startsWith('/internal')) return sendError(res, 'route_not_found');
    const signed = req.headers[AUTH_HEADER];
    const given = req.headers[SECRET_HEADER];
    const ok =
      signed !== undefined
        ? verifyPeerRequest(opts.secret, signed, req.method ?? '', path, Date.now()).ok
        : typeof given === 'string' && sameSecret(given, opts.secret);
    if (!ok) return sendError(res, 'peer_forbidden');
    return routeInternal(req, res, pathname);
  };

  const routeInternal = async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> => {
    if (pathname === INVENTORY_PATH && req.method === 'POST') return inventoryRoute(req, res);
    if (pathname === '/internal/invalidate' && req.method === 'POST') {
      await readBody(req, Infinity);
      return void res.writeHead(204).end();
    }
    const sha = /^\/internal\/blobs\/([^/]+)$/.exec(pathname)?.[1];
    if (sha === undefined) return sendError(res, 'route_not_found');
    if (!DIGEST_RE.test(sha)) return sendError(res, 'invalid_digest');
    if (req.method === 'GET' || req.method === 'HEAD') return serveBlob(req, res, sha);
    if (req.method === 'PUT') return storeBlob(req, res, sha);
    sendError(res, 'method_not_allowed');
  };

  const server = http.createServer((req, res) => {
    route(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  const membership = new Membership(
    redis,
    { id: opts.id, url },
    { heartbeatMs: opts.heartbeatMs ?? 200, ttlMs: opts.ttlMs ?? 1000 },
    createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', opts.id),
  );

  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    redis.disconnect();
  };
  let closed: Promise<void> | undefined;
  const once = (f: () => Promise<void>) => (): Promise<void> => (closed ??= f());

  await membership.start();
  if (membership.status !== 'member') {
    await close();
    throw new Error(`fake peer ${opts.id} could not join the member list at ${redisUrl}`);
  }

  return {
    id: opts.id,
    url,
    blobs,
    requests,
    inventories,
    membership,
    setBehaviour: (b) => (choice = b),
    // Unregistering goes after any heartbeat already sent (one connection, in order), so nothing re-adds us. With
    // Redis down (a test stopped it) there is nothing to leave: the entry, if Redis comes back, expires.
    stop: once(async () => {
      membership.stop();
      await redis
        .multi()
        .zrem(keys.members, opts.id)
        .hdel(keys.memberUrls, opts.id)
        .exec()
        .catch(() => undefined);
      await close();
    }),
    crash: once(async () => {
      membership.stop();
      await close();
    }),
  };
}
