// The only reader of process.env for the file node. Every setting is listed once below: its name in Config, the
// environment variable it comes from, and its rule; the Config type is what that list parses to. Every problem is
// reported together, then the result is frozen.
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** One setting: the environment variable it is read from and its rule (units are in the names: _MS, _BYTES). */
const env = <S extends z.ZodType>(name: string, rule: S): { readonly name: string; readonly rule: S } => ({ name, rule });

/** An origin as a browser sends it: scheme://host[:port], lowercase, no path, no trailing slash. */
const isOrigin = (o: string): boolean => URL.canParse(o) && new URL(o).origin === o;

// CORS_ORIGINS: "*" alone, or a comma list of exact origins.
const corsOrigins = z.string().transform((s, ctx): '*' | readonly string[] => {
  const list = s.split(',').map((o) => o.trim()).filter((o) => o !== '');
  if (list.length === 1 && list[0] === '*') return '*';
  const bad = list.filter((o) => !isOrigin(o));
  if (list.length > 0 && bad.length === 0) return Object.freeze(list);
  const message = `"*" alone, or a comma list of origins like https://app.example.com:8443 (not: ${bad.join(' ') || '(empty)'})`;
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
});

// Whole numbers from strings.
const int = (min: number, def: number) => z.coerce.number().int().min(min).max(Number.MAX_SAFE_INTEGER).default(def);

const settings = {
  nodeId: env(
    'NODE_ID',
    z.string().regex(/^[A-Za-z0-9._-]{1,63}$/, 'letters, digits, ".", "_" or "-", at most 63').default(hostname().slice(0, 63)),
  ),
  host: env('HOST', z.string().min(1).default('0.0.0.0')),
  port: env('PORT', z.coerce.number().int().min(0).max(65535).default(8080)),
  dataDir: env('DATA_DIR', z.string().min(1).default('./data').transform((dir) => path.resolve(dir))),
  redisUrl: env(
    'REDIS_URL',
    z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').default('redis://127.0.0.1:6379'),
  ),
  /** Redis' password (AUTH), kept out of REDIS_URL so that the URL can live in a ConfigMap; wins over one in the URL */
  redisPassword: env('REDIS_PASSWORD', z.string().min(1).optional()),
  /** a Redis command unanswered this long fails (503): a hung Redis or a partition that drops packets */
  redisCommandTimeoutMs: env('REDIS_COMMAND_TIMEOUT_MS', int(100, 5000)),
  writeToken: env('WRITE_TOKEN', z.string().min(8, 'at least 8 characters').optional()),
  clusterSecret: env('CLUSTER_SECRET', z.string().min(8, 'at least 8 characters').optional()),
  dedupPolicy: env('DEDUP_POLICY', z.enum(['reject', 'link']).default('reject')),
  /** URL peers reach this node at; default http://127.0.0.1:<listening port> */
  advertiseUrl: env(
    'ADVERTISE_URL',
    z.string().regex(/^https?:\/\/[^/]+$/, 'an http(s)://host:port URL without a path').optional(),
  ),
  replicationFactor: env('REPLICATION_FACTOR', int(1, 2)),
  heartbeatMs: env('HEARTBEAT_MS', int(50, 1000)),
  memberTtlMs: env('MEMBER_TTL_MS', int(100, 3000)),
  peerTimeoutMs: env('PEER_TIMEOUT_MS', int(50, 5000)),
  invalidationDeadlineMs: env('INVALIDATION_DEADLINE_MS', int(10, 500)),
  headLeaseMs: env('HEAD_LEASE_MS', int(50, 2000)),
  /**
   * The periodic repair pass is the safety net (membership changes start a pass at once), and the one detector of a
   * member its peers cannot reach (its heartbeats still reach Redis): KubecdnUnderReplicated. Its cost: each node of a
   * 3-node cluster holding ~5,800 blobs spent ~1 s of CPU per pass (3% of a core, in bursts all nodes' passes
   * overlap; 2026-12-02). A longer interval is quieter and detects later; a pass that left blobs short is retried
   * after 30 s whatever the interval (repair.ts SHORTFALL_RETRY_MS).
   */
  repairIntervalMs: env('REPAIR_INTERVAL_MS', int(0, 30_000)),
  /** local blobs a repair pass handles at a time: one Redis call and one inventory request per peer each */
  repairBatchBlobs: env('REPAIR_BATCH_BLOBS', z.coerce.number().int().min(1).max(5000).default(2000)),
  handoffDeadlineMs: env('HANDOFF_DEADLINE_MS', int(0, 60_000)),
  lockMode: env('LOCK_MODE', z.enum(['redis', 'ricart-agrawala', 'local']).default('redis')),
  /** lease of a write's internal hold (a paused holder loses it after this; fencing refuses its commit) */
  lockTtlMs: env('LOCK_TTL_MS', int(100, 30_000)),
  /** how long a write waits behind other writes' holds before 423 */
  lockWaitMs: env('LOCK_WAIT_MS', int(0, 10_000)),
  /** tests only: record overlapping critical sections in Redis (see metadata/writer.ts) */
  lockProbe: env('LOCK_PROBE', z.enum(['0', '1']).default('0').transform((v) => v === '1')),
  lockProbeHoldMs: env('LOCK_PROBE_HOLD_MS', int(0, 0)),
  maxUploadBytes: env('MAX_UPLOAD_BYTES', int(1, 10 * GiB)),
  cacheMaxBytes: env('CACHE_MAX_BYTES', int(0, 1 * GiB)),
  hotCacheMaxBytes: env('HOT_CACHE_MAX_BYTES', int(0, 64 * MiB)),
  hotCacheMaxObjectBytes: env('HOT_CACHE_MAX_OBJECT_BYTES', int(0, 1 * MiB + 64 * 1024)),
  /** memory for big hot blobs, kept from their second read on (storage/hotCache.ts); 0 disables */
  hotLargeMaxBytes: env('HOT_LARGE_MAX_BYTES', int(0, 128 * MiB)),
  hotLargeMaxObjectBytes: env('HOT_LARGE_MAX_OBJECT_BYTES', int(0, 32 * MiB)),
  headCacheMaxEntries: env('HEAD_CACHE_MAX_ENTRIES', int(0, 100_000)),
  /** browser pages on these origins may read (and, with the token, write): "*" or a list; unset: no CORS */
  corsOrigins: env('CORS_ORIGINS', corsOrigins.optional()),
  cacheControlLatest: env('CACHE_CONTROL_LATEST', z.string().min(1).default('public, max-age=5')),
  jsonBodyMaxBytes: env('JSON_BODY_MAX_BYTES', int(1024, 8 * MiB)),
  readCompatMaxFiles: env('READ_COMPAT_MAX_FILES', int(1, 100)),
  readCompatMaxBytes: env('READ_COMPAT_MAX_BYTES', int(1, 1 * MiB)),
  eventsStreamMaxLen: env('EVENTS_STREAM_MAXLEN', int(100, 10_000)),
  maxSseClients: env('MAX_SSE_CLIENTS', int(1, 1000)),
  sseHeartbeatMs: env('SSE_HEARTBEAT_MS', int(100, 15_000)),
  headersTimeoutMs: env('HEADERS_TIMEOUT_MS', int(100, 10_000)),
  requestTimeoutMs: env('REQUEST_TIMEOUT_MS', int(0, 30 * 60_000)),
  idleTimeoutMs: env('IDLE_TIMEOUT_MS', int(100, 30_000)),
  gcIntervalMs: env('GC_INTERVAL_MS', int(0, 60 * 60_000)),
  gcGraceMs: env('GC_GRACE_MS', int(0, 60 * 60_000)),
  /**
   * blobs up to this size are made durable by the group-committed blob journal (one fdatasync for the uploads of the
   * moment) instead of their own fsyncs; 0: every blob fsyncs its own file and directory
   */
  blobJournalMaxBytes: env('BLOB_JOURNAL_MAX_BYTES', z.coerce.number().int().min(0).max(MiB).default(64 * 1024)),
  /** how often the journal's files are made durable themselves (one syncfs) and its segment dropped */
  blobJournalCheckpointMs: env('BLOB_JOURNAL_CHECKPOINT_MS', int(100, 5_000)),
  /** the background scrub's read rate (0: off) and its rest between passes */
  scrubBytesPerSec: env('SCRUB_BYTES_PER_SEC', int(0, 8 * MiB)),
  scrubIntervalMs: env('SCRUB_INTERVAL_MS', int(0, 60 * 60_000)),
  shutdownGraceMs: env('SHUTDOWN_GRACE_MS', int(0, 10_000)),
  /** on SIGTERM, how long the node keeps taking new requests while Services and the Ingress stop routing to it */
  shutdownDrainMs: env('SHUTDOWN_DRAIN_MS', int(0, 0)),
  logLevel: env('LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
};

type Settings = typeof settings;
type Key = keyof Settings;
const KEYS = Object.keys(settings) as Key[];

const schema = z
  .object(Object.fromEntries(KEYS.map((k) => [k, settings[k].rule])) as { [K in Key]: Settings[K]['rule'] })
  .superRefine((c, ctx) => {
    if (c.headLeaseMs <= c.heartbeatMs) {
      const message = 'must be longer than HEARTBEAT_MS, or every lease lapses between heartbeats';
      ctx.addIssue({ code: 'custom', path: ['headLeaseMs'], message });
    }
  })
  .transform((c) => Object.freeze(c));

export type Config = z.output<typeof schema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** A problem, named by the environment variable it is about. */
function problem(issue: z.core.$ZodIssue): string {
  const [key, ...rest] = issue.path;
  const name = typeof key === 'string' && key in settings ? settings[key as Key].name : String(key);
  return `${[name, ...rest].join('.')}: ${issue.message}`;
}

/** Parses the environment once; throws ConfigError listing every problem at once. */
export function loadConfig(environment: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset" so that `FOO= node main.js` falls back to the default instead of failing.
  const given = (name: string): string | undefined => (environment[name] === '' ? undefined : environment[name]);
  const parsed = schema.safeParse(Object.fromEntries(KEYS.map((k) => [k, given(settings[k].name)])));
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map(problem));
  return parsed.data;
}
