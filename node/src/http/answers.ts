// The JSON bodies the node answers, as zod schemas: the routes type what they send with z.infer of these, and the
// API document (openapi.ts) is generated from the same schemas, so the two cannot drift.
import { z } from 'zod';
import type { ErrorCode } from '../errors.js';
import { EVENT_NAMES, versionRecordSchema } from '../metadata/types.js';

const iso = z.iso.datetime().meta({ id: 'Timestamp', description: 'ISO 8601, UTC' });
const fileName = z.string().meta({ description: 'a file name (NFC)' });
const cursor = z.string().nullable().meta({
  description: 'pass back as ?cursor= for the next page; null: the last page',
});

/** 201/200 of PUT, revert and DELETE: the new version, its name and the event it published. */
export const writeAnswer = z
  .object({
    name: fileName,
    event: z.enum(EVENT_NAMES),
    ...versionRecordSchema.shape,
  })
  .meta({
    id: 'WriteAnswer',
    description: 'the new version (a delete marker for DELETE)',
  });
export type WriteAnswer = z.infer<typeof writeAnswer>;

/** 200 of a write that changed nothing: the head as it is. */
export const unchangedAnswer = z
  .object({
    unchanged: z.literal(true),
    name: fileName,
    ...versionRecordSchema.shape,
  })
  .meta({
    id: 'Unchanged',
    description: 'the same bytes as the head: nothing written, the head returned',
  });
export type UnchangedAnswer = z.infer<typeof unchangedAnswer>;

export const versionsPage = z
  .object({
    name: fileName,
    count: z.int().min(1),
    versions: z.array(versionRecordSchema),
    nextCursor: cursor,
  })
  .meta({ id: 'VersionsPage' });
export type VersionsPage = z.infer<typeof versionsPage>;

export const filesPage = z
  .object({
    files: z.array(z.object({ name: fileName, ...versionRecordSchema.shape })),
    nextCursor: cursor,
  })
  .meta({ id: 'FilesPage' });
export type FilesPage = z.infer<typeof filesPage>;

export const lockTaken = z
  .object({
    name: fileName,
    token: z.string(),
    fencingToken: z.int().min(1),
    expiresAt: iso,
    holder: z.string(),
  })
  .meta({ id: 'LockTaken' });
export type LockTaken = z.infer<typeof lockTaken>;

export const lockRefreshed = z.object({ name: fileName, expiresAt: iso }).meta({ id: 'LockRefreshed' });
export type LockRefreshed = z.infer<typeof lockRefreshed>;

export const lockState = z
  .union([
    z.object({ name: fileName, locked: z.literal(false) }),
    z.object({
      name: fileName,
      locked: z.literal(true),
      holder: z.string(),
      kind: z.string(),
      fencingToken: z.int().min(1),
      expiresAt: iso,
    }),
  ])
  .meta({ id: 'LockState', description: 'never the token' });
export type LockState = z.infer<typeof lockState>;

export const clusterInfo = z
  .object({
    self: z.string(),
    members: z.array(z.object({ id: z.string(), url: z.string() })),
    standalone: z.literal(true).optional().meta({ description: 'present when CLUSTER_SECRET is not set' }),
    replicationFactor: z.int().min(1),
    cache: z.object({
      bytes: z.int().min(0),
      maxBytes: z.int().min(0),
      entries: z.int().min(0),
    }),
    underReplicated: z.int().min(0),
  })
  .meta({ id: 'ClusterInfo' });
export type ClusterInfo = z.infer<typeof clusterInfo>;

export const health = z.object({ status: z.literal('ok'), node: z.string() }).meta({ id: 'Health' });
export type Health = z.infer<typeof health>;
const readyChecks = z.object({ redis: z.boolean(), dataDir: z.boolean() });
export const ready = z.object({ status: z.literal('ready'), node: z.string(), checks: readyChecks }).meta({ id: 'Ready' });
export type Ready = z.infer<typeof ready>;

// The original mini-CDN's answers (compatRoutes.ts), byte for byte what its clients expect.
export const compatMessage = z.object({ message: z.string() }).meta({ id: 'CompatMessage' });
export type CompatMessage = z.infer<typeof compatMessage>;
export const compatReadAll = z.record(z.string(), z.string()).meta({ id: 'CompatReadAll', description: 'name -> latest text' });
export type CompatReadAll = z.infer<typeof compatReadAll>;
export const compatVersion = z.object({ version: z.int().min(1), content: z.string(), timestamp: iso }).meta({ id: 'CompatVersion' });
export type CompatVersion = z.infer<typeof compatVersion>;
export const compatPath = z.object({ status: z.literal('success'), path: z.string() }).meta({ id: 'CompatPath' });
export type CompatPath = z.infer<typeof compatPath>;
export const compatSuccess = z.object({ status: z.literal('success') }).meta({ id: 'CompatSuccess' });
export type CompatSuccess = z.infer<typeof compatSuccess>;

/** The message, and the details some errors carry (docs/api.md's catalogue names them). */
const errorFields = z
  .looseObject({
    message: z.string(),
    existing: z
      .object({ name: fileName, version: z.int().min(1) })
      .optional()
      .meta({ description: 'duplicate_content: who stored it first' }),
    holder: z.string().optional().meta({ description: 'locked: who holds the lock' }),
    expiresAt: iso.optional().meta({ description: 'locked: when the lock lapses' }),
    expected: z.string().optional().meta({ description: 'digest_mismatch: X-Content-SHA256' }),
    actual: z.string().optional().meta({
      description: 'digest_mismatch: the digest of the body received',
    }),
    lastFence: z.int().optional().meta({ description: 'stale_fence: the fencing token last committed' }),
    checks: readyChecks.optional().meta({ description: 'unavailable from /readyz: which check failed' }),
  })
  .meta({ id: 'ErrorFields' });

/** `{"error": {code, message, ...details}}` with `code` one of `codes`. */
export const errorBody = (codes: readonly [ErrorCode, ...ErrorCode[]]): z.ZodObject =>
  z.object({
    error: z.intersection(z.looseObject({ code: z.enum(codes) }), errorFields),
  });

/** The same error in the original API's shape: its old fields beside `error` (compatRoutes.ts). */
export const compatErrorBody = (codes: readonly [ErrorCode, ...ErrorCode[]], shape: 'message' | 'status'): z.ZodObject =>
  errorBody(codes).extend(shape === 'message' ? { message: z.string() } : { status: z.literal('error'), message: z.string() });
