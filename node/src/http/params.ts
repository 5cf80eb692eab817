// Request parameters (query, headers and the small JSON bodies): each one's rule written once as a zod schema, beside
// the catalogue error that answers a value the rule refuses. Routes read typed values from here and parse nothing by
// hand. A query value is a string, or an array when repeated (the 'simple' query parser); a header is a string
// (Node joins most repeated ones) or an array. The codes and messages are the API's; test/unit/params.test.ts pins them.
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { type ApiError, apiError } from '../errors.js';
import type { AcquireOptions } from '../locks/types.js';
import { nameSchema } from '../names.js';

export const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;
export const MAX_TTL_MS = 3_600_000;
const DEFAULT_TTL_MS = 30_000;
const MIN_TTL_MS = 100;
const MAX_PREFIX_BYTES = 1024;
const MAX_HOLDER_CHARS = 128;

/** What parameters are read from: an Express request, or a plain object in a test. */
export interface Input {
  readonly query: Readonly<Record<string, unknown>>;
  readonly headers: IncomingHttpHeaders;
}

/** One parameter: the rule for its raw value, and the error that answers a value the rule refuses. */
interface Param<T> {
  readonly rule: z.ZodType<T>;
  readonly refused: (raw: unknown) => ApiError;
}

function take<T>(p: Param<T>, raw: unknown): T {
  const r = p.rule.safeParse(raw);
  if (!r.success) throw p.refused(raw);
  return r.data;
}

const invalid =
  (message: string) =>
  (): ApiError =>
    apiError('invalid_request', message);

/** A string given at most once; anything else (an array: given twice) is `refused`. */
const once = (refused: () => ApiError): Param<string | undefined> => ({ rule: z.string().optional(), refused });

/** A header given at most once. */
const header = (name: string): Param<string | undefined> => once(() => apiError('invalid_header', `${name} must be given once.`));

// Each rule states its whole constraint on the raw value (a pattern, a range), before any transform: the API document
// (openapi.ts) is generated from these schemas, and shows the input side.

// At most 15 digits: every such number is exact as a double, and as a Redis integer.
const VERSION_RE = /^[1-9]\d{0,14}$/;
const MAX_VERSION = 999_999_999_999_999;
const version: Param<number> = {
  // a string from a query, a number (or a string) from a JSON body
  rule: z.union([z.string().regex(VERSION_RE), z.int().min(1).max(MAX_VERSION)]).transform(Number),
  refused: () => apiError('invalid_version'),
};

const limit: Param<number> = {
  // 1-1000, written without leading zeros
  rule: z.string().regex(/^(?:[1-9]\d{0,2}|1000)$/).transform(Number).default(DEFAULT_PAGE),
  refused: invalid(`limit must be a whole number from 1 to ${MAX_PAGE}.`),
};

const waitMs: Param<number | undefined> = {
  rule: z.string().regex(/^\d{1,7}$/).transform(Number).optional(),
  refused: invalid('waitMs must be a whole number of milliseconds (at most 9999999).'),
};

const prefix: Param<string> = {
  rule: z
    .string()
    .regex(/^[^\u0000-\u001f\u007f]*$/)
    .max(MAX_PREFIX_BYTES)
    .refine((p) => Buffer.byteLength(p) <= MAX_PREFIX_BYTES)
    .transform((p) => p.normalize('NFC'))
    .default(''),
  refused: (raw) =>
    typeof raw === 'string'
      ? apiError('invalid_request', `prefix must be at most ${MAX_PREFIX_BYTES} bytes without control characters.`)
      : apiError('invalid_request', 'prefix must be given once.'),
};

const contentSha256: Param<string | undefined> = {
  rule: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/)
    .transform((s) => s.toLowerCase())
    .optional(),
  refused: (raw) =>
    typeof raw === 'string'
      ? apiError('invalid_digest', 'X-Content-SHA256 must be 64 hexadecimal characters.')
      : apiError('invalid_header', 'x-content-sha256 must be given once.'),
};

const ifMatch = header('if-match');
const ifNoneMatch = header('if-none-match');
const contentType = header('content-type');

/** On a write: the lock-API token it works under; empty means none. */
const writeLockToken: Param<string | undefined> = {
  rule: z
    .string()
    .optional()
    .transform((t) => (t === '' ? undefined : t)),
  refused: header('x-lock-token').refused,
};

/** On the lock API's refresh and release: the token of the lease. */
const leaseToken: Param<string> = { rule: z.string().min(1), refused: invalid('X-Lock-Token is required.') };

/** X-Lock-Holder: a name for the holder, shown to whoever is refused; anything odd is ignored, never refused. */
const holder = z
  .string()
  .transform((h) => h.slice(0, MAX_HOLDER_CHARS))
  .optional()
  .catch(undefined);

const lockBody: Param<number> = {
  // no body at all is the default lease
  rule: z
    .strictObject({ ttlMs: z.number().int().min(MIN_TTL_MS).max(MAX_TTL_MS).optional() })
    .optional()
    .transform((b) => b?.ttlMs ?? DEFAULT_TTL_MS),
  refused: invalid(`The body must be {"ttlMs": ${MIN_TTL_MS}-${MAX_TTL_MS}} (optional).`),
};

const revertBody: Param<{ version: unknown }> = {
  rule: z.object({ version: z.unknown() }),
  refused: invalid('The body must be {"version": N}.'),
};

const compatWriteShape = z.object({ file_name: z.string(), file_content: z.string() });
const compatWriteBody: Param<{ file_name: string; file_content: string }> = {
  rule: compatWriteShape,
  refused: invalid('The body must be {"file_name": "...", "file_content": "..."}.'),
};

const compatAddShape = z.object({ filename: z.string(), content: z.string().default('') });
const compatAddBody: Param<{ filename: string; content: string }> = {
  rule: compatAddShape,
  refused: invalid('The body must be {"filename": "...", "content"?: "..."}.'),
};

/** Last-Event-ID (a reconnecting EventSource sends it): when empty or odd, ?from= decides; never refused. */
const lastEventId = z.string().min(1).optional().catch(undefined);
// given twice, ?from= would be silently ignored and the client would miss events
const from = once(invalid('from must be given once.'));
/** a listing's ?cursor=: the last name of the previous page */
const listCursor = once(invalid('cursor must be given once.'));

/** ?download= of a file read, every value given: "1" once (Content-Disposition: attachment), or none (inline). */
const download: Param<boolean> = {
  rule: z.union([z.tuple([]), z.tuple([z.literal('1')])]).transform((v) => v.length === 1),
  refused: invalid('download must be 1, given once, or left out.'),
};

/** A version number: ?version= on reads, ?cursor= of a version listing, "version" in a revert body. */
export const parseVersion = (raw: unknown): number => take(version, raw);

/** GET/HEAD /files/{name}: ?download=1 asks for the file as an attachment; `values` are all the ?download= given. */
export const wantsDownload = (values: readonly string[]): boolean => take(download, values);

/** GET /files: ?prefix= (NFC), ?cursor= (the last name of the previous page), ?limit=. */
export function listQuery(req: Input): { prefix: string; cursor: string | undefined; limit: number } {
  return {
    prefix: take(prefix, req.query.prefix),
    cursor: take(listCursor, req.query.cursor),
    limit: take(limit, req.query.limit),
  };
}

/** GET /files/{name}/versions: ?cursor= (a version: the page starts below it) and ?limit=. */
export function versionsQuery(req: Input): { cursor: number | undefined; limit: number } {
  const cursor = req.query.cursor;
  return { limit: take(limit, req.query.limit), cursor: cursor === undefined ? undefined : take(version, cursor) };
}

/**
 * X-Lock-Token (a lock-API token this write works under) and ?waitMs= (how long to wait behind a lock), at most
 * `maxWaitMs` (longestWaitMs: a longer wait would outlast the connection).
 */
export function lockOptions(req: Input, maxWaitMs: number): AcquireOptions {
  const wait = take(waitMs, req.query.waitMs);
  return { token: take(writeLockToken, req.headers['x-lock-token']), waitMs: wait === undefined ? undefined : Math.min(wait, maxWaitMs) };
}

export interface PutParams {
  /** X-Content-SHA256, lowercase: the body must have this digest */
  readonly expectedSha256: string | undefined;
  readonly ifMatch: string | undefined;
  readonly ifNoneMatch: string | undefined;
  readonly contentType: string | undefined;
  readonly lock: AcquireOptions;
}

/** PUT /files/{name}: everything but the body, checked before the body is read; a wait is at most `maxWaitMs`. */
export function putParams(req: Input, maxWaitMs: number): PutParams {
  const h = req.headers;
  return {
    expectedSha256: take(contentSha256, h['x-content-sha256']),
    ifMatch: take(ifMatch, h['if-match']),
    ifNoneMatch: take(ifNoneMatch, h['if-none-match']),
    contentType: take(contentType, h['content-type']),
    lock: lockOptions(req, maxWaitMs),
  };
}

/** POST /files/{name}/revert: {"version": N}. */
export const revertTarget = (body: unknown): number => parseVersion(take(revertBody, body).version);

/**
 * Taking a lock: the lease's length from the body ({"ttlMs": N}, optional), ?waitMs= (default: do not wait; at most
 * `maxWaitMs`) and X-Lock-Holder (default: `defaultHolder`).
 */
export function lockRequest(
  req: Input & { readonly body?: unknown },
  defaultHolder: string,
  maxWaitMs: number,
): { ttlMs: number; waitMs: number; holder: string } {
  return {
    ttlMs: take(lockBody, req.body),
    waitMs: Math.min(take(waitMs, req.query.waitMs) ?? 0, maxWaitMs),
    holder: holder.parse(req.headers['x-lock-holder']) ?? defaultHolder,
  };
}

/** The lock API's refresh: the new lease's length ({"ttlMs": N}, optional). */
export const lockTtlMs = (body: unknown): number => take(lockBody, body);

/** The lock API's refresh and release: X-Lock-Token, required. */
export const leaseTokenOf = (req: Input): string => take(leaseToken, req.headers['x-lock-token']);

/** The original API's query parameters: each required, once. */
export const compatQuery = (req: Input, name: string): string =>
  take({ rule: z.string(), refused: invalid(`The query parameter ${name} is required, once.`) }, req.query[name]);

/** POST /write of the original API. */
export const compatWrite = (body: unknown): { file_name: string; file_content: string } => take(compatWriteBody, body);

/** POST /add_file of the original API (no content: an empty file). */
export const compatAdd = (body: unknown): { filename: string; content: string } => take(compatAddBody, body);

/** GET /events: where the stream resumes (the hub checks it is a stream id or "0"); undefined: from now. */
export function eventsFrom(req: Input): string | undefined {
  const query = take(from, req.query.from);
  return lastEventId.parse(req.headers['last-event-id']) ?? query;
}

/**
 * The rules above as the API document shows them (openapi.ts): the same schemas, grouped by where they are read.
 * A body rule refused as a whole (revert's version, the original API's names) is shown with its field's own rule.
 */
export const documented = {
  version: version.rule,
  limit: limit.rule,
  waitMs: waitMs.rule,
  prefix: prefix.rule,
  listCursor: listCursor.rule,
  versionCursor: version.rule.optional(),
  contentSha256: contentSha256.rule,
  ifMatch: ifMatch.rule,
  ifNoneMatch: ifNoneMatch.rule,
  writeLockToken: writeLockToken.rule,
  leaseToken: leaseToken.rule,
  holder,
  lockBody: lockBody.rule,
  revertBody: z.object({ version: version.rule }),
  compatWriteBody: compatWriteShape.extend({ file_name: nameSchema }),
  compatAddBody: compatAddShape.extend({ filename: nameSchema }),
  name: nameSchema,
  compatQuery: z.string(),
  from: from.rule,
  lastEventId,
  /** one ?download= (the rule above reads every value given: a repeat is refused too) */
  download: z.literal('1'),
} as const;
