// The only reader of process.env for the file node. Every problem is reported together, then the result is frozen.
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

// Whole numbers from strings; units are in the variable names (_MS, _BYTES).
const int = (min: number, def: number) => z.coerce.number().int().min(min).max(Number.MAX_SAFE_INTEGER).default(def);

const schema = z.object({
  NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,63}$/, 'letters, digits, ".", "_" or "-", at most 63')
    .default(hostname().slice(0, 63)),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DATA_DIR: z.string().min(1).default('./data'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').default('redis://127.0.0.1:6379'),
  WRITE_TOKEN: z.string().min(8, 'at least 8 characters').optional(),
  CLUSTER_SECRET: z.string().min(8, 'at least 8 characters').optional(),
  DEDUP_POLICY: z.enum(['reject', 'link']).default('reject'),
  ADVERTISE_URL: z.string().regex(/^https?:\/\/[^/]+$/, 'an http(s)://host:port URL without a path').optional(),
  REPLICATION_FACTOR: int(1, 2),
  HEARTBEAT_MS: int(50, 1000),
  MEMBER_TTL_MS: int(100, 3000),
  PEER_TIMEOUT_MS: int(50, 5000),
  INVALIDATION_DEADLINE_MS: int(10, 500),
  HEAD_LEASE_MS: int(50, 2000),
  REPAIR_INTERVAL_MS: int(0, 30_000),
  HANDOFF_DEADLINE_MS: int(0, 60_000),
  LOCK_MODE: z.enum(['redis', 'ricart-agrawala', 'local']).default('redis'),
  LOCK_TTL_MS: int(100, 30_000),
  LOCK_WAIT_MS: int(0, 10_000),
  // Test instrumentation, off by default: see metadata/writer.ts.
  LOCK_PROBE: z.enum(['0', '1']).default('0'),
  LOCK_PROBE_HOLD_MS: int(0, 0),
  MAX_UPLOAD_BYTES: int(1, 10 * GiB),
  CACHE_MAX_BYTES: int(0, 1 * GiB),
  HOT_CACHE_MAX_BYTES: int(0, 64 * MiB),
  HOT_CACHE_MAX_OBJECT_BYTES: int(0, 1 * MiB + 64 * 1024),
  HEAD_CACHE_MAX_ENTRIES: int(0, 100_000),
  CACHE_CONTROL_LATEST: z.string().min(1).default('public, max-age=5'),
  JSON_BODY_MAX_BYTES: int(1024, 8 * MiB),
  READ_COMPAT_MAX_FILES: int(1, 100),
  READ_COMPAT_MAX_BYTES: int(1, 1 * MiB),
  EVENTS_STREAM_MAXLEN: int(100, 10_000),
  MAX_SSE_CLIENTS: int(1, 1000),
  SSE_HEARTBEAT_MS: int(100, 15_000),
  HEADERS_TIMEOUT_MS: int(100, 10_000),
  REQUEST_TIMEOUT_MS: int(0, 30 * 60_000),
  IDLE_TIMEOUT_MS: int(100, 30_000),
  GC_INTERVAL_MS: int(0, 60 * 60_000),
  SCRUB_BYTES_PER_SEC: int(0, 8 * MiB),
  SCRUB_INTERVAL_MS: int(0, 60 * 60_000),
  GC_GRACE_MS: int(0, 60 * 60_000),
  SHUTDOWN_GRACE_MS: int(0, 10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  readonly nodeId: string;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly redisUrl: string;
  readonly writeToken: string | undefined;
  readonly clusterSecret: string | undefined;
  readonly dedupPolicy: 'reject' | 'link';
  /** URL peers reach this node at; default http://127.0.0.1:<listening port> */
  readonly advertiseUrl: string | undefined;
  readonly replicationFactor: number;
  readonly heartbeatMs: number;
  readonly memberTtlMs: number;
  readonly peerTimeoutMs: number;
  readonly invalidationDeadlineMs: number;
  readonly headLeaseMs: number;
  readonly repairIntervalMs: number;
  readonly handoffDeadlineMs: number;
  readonly lockMode: 'redis' | 'ricart-agrawala' | 'local';
  /** lease of a write's internal hold (a paused holder loses it after this; fencing refuses its commit) */
  readonly lockTtlMs: number;
  /** how long a write waits behind other writes' holds before 423 */
  readonly lockWaitMs: number;
  /** tests only: record overlapping critical sections in Redis */
  readonly lockProbe: boolean;
  readonly lockProbeHoldMs: number;
  readonly maxUploadBytes: number;
  readonly cacheMaxBytes: number;
  readonly hotCacheMaxBytes: number;
  readonly hotCacheMaxObjectBytes: number;
  readonly headCacheMaxEntries: number;
  readonly cacheControlLatest: string;
  readonly jsonBodyMaxBytes: number;
  readonly readCompatMaxFiles: number;
  readonly readCompatMaxBytes: number;
  readonly eventsStreamMaxLen: number;
  readonly maxSseClients: number;
  readonly sseHeartbeatMs: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly gcIntervalMs: number;
  readonly gcGraceMs: number;
  /** the background scrub's read rate (0: off) and its rest between passes */
  readonly scrubBytesPerSec: number;
  readonly scrubIntervalMs: number;
  readonly shutdownGraceMs: number;
  readonly logLevel: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once; throws ConfigError listing every problem at once. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset" so that `FOO= node main.js` falls back to the default instead of failing.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (parsed.success && parsed.data.HEAD_LEASE_MS <= parsed.data.HEARTBEAT_MS) {
    throw new ConfigError(['HEAD_LEASE_MS: must be longer than HEARTBEAT_MS, or every lease lapses between heartbeats']);
  }
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  return Object.freeze({
    nodeId: e.NODE_ID,
    host: e.HOST,
    port: e.PORT,
    dataDir: path.resolve(e.DATA_DIR),
    redisUrl: e.REDIS_URL,
    writeToken: e.WRITE_TOKEN,
    clusterSecret: e.CLUSTER_SECRET,
    dedupPolicy: e.DEDUP_POLICY,
    advertiseUrl: e.ADVERTISE_URL,
    replicationFactor: e.REPLICATION_FACTOR,
    heartbeatMs: e.HEARTBEAT_MS,
    memberTtlMs: e.MEMBER_TTL_MS,
    peerTimeoutMs: e.PEER_TIMEOUT_MS,
    invalidationDeadlineMs: e.INVALIDATION_DEADLINE_MS,
    headLeaseMs: e.HEAD_LEASE_MS,
    repairIntervalMs: e.REPAIR_INTERVAL_MS,
    handoffDeadlineMs: e.HANDOFF_DEADLINE_MS,
    lockMode: e.LOCK_MODE,
    lockTtlMs: e.LOCK_TTL_MS,
    lockWaitMs: e.LOCK_WAIT_MS,
    lockProbe: e.LOCK_PROBE === '1',
    lockProbeHoldMs: e.LOCK_PROBE_HOLD_MS,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    cacheMaxBytes: e.CACHE_MAX_BYTES,
    hotCacheMaxBytes: e.HOT_CACHE_MAX_BYTES,
    hotCacheMaxObjectBytes: e.HOT_CACHE_MAX_OBJECT_BYTES,
    headCacheMaxEntries: e.HEAD_CACHE_MAX_ENTRIES,
    cacheControlLatest: e.CACHE_CONTROL_LATEST,
    jsonBodyMaxBytes: e.JSON_BODY_MAX_BYTES,
    readCompatMaxFiles: e.READ_COMPAT_MAX_FILES,
    readCompatMaxBytes: e.READ_COMPAT_MAX_BYTES,
    eventsStreamMaxLen: e.EVENTS_STREAM_MAXLEN,
    maxSseClients: e.MAX_SSE_CLIENTS,
    sseHeartbeatMs: e.SSE_HEARTBEAT_MS,
    headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    idleTimeoutMs: e.IDLE_TIMEOUT_MS,
    gcIntervalMs: e.GC_INTERVAL_MS,
    gcGraceMs: e.GC_GRACE_MS,
    scrubBytesPerSec: e.SCRUB_BYTES_PER_SEC,
    scrubIntervalMs: e.SCRUB_INTERVAL_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    logLevel: e.LOG_LEVEL,
  });
}
