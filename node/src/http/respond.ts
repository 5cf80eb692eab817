// Writing JSON answers and catalogue errors on a raw ServerResponse (the read path has no Express), and the pure
// decisions behind them: which catalogue error answers a failure, and how soon the client may retry.
import { STATUS_CODES, type ServerResponse } from 'node:http';
import { ApiError, type catalogue, type ErrorCode } from '../errors.js';

declare module 'node:http' {
  interface ServerResponse {
    /** the route label for metrics and logs, set by whichever handler took the request */
    metricsRoute?: string;
    /** the error behind a 5xx, for the request log line */
    failure?: unknown;
  }
}

// A disk fault is the machine's state, not a bug: a 503 with a stable code tells the client to retry (later, or on
// another node) where a 500 says "report this". Decided on the errno code, never on message text.
const DISK_FAULTS: Readonly<Record<string, ErrorCode>> = {
  ENOSPC: 'disk_full',
  EDQUOT: 'disk_full',
  EROFS: 'disk_read_only',
  EIO: 'disk_error',
};
// Catalogue errors that only say "something failed": a disk fault underneath is the better answer.
const GENERIC: ReadonlySet<ErrorCode> = new Set(['internal', 'unavailable']);
const MAX_CAUSES = 8; // a cause chain is short; the bound only guards against a cycle

/** Every catalogue code answered 503. */
type Code503 = { [K in ErrorCode]: (typeof catalogue)[K]['status'] extends 503 ? K : never }[ErrorCode];

// Retry-After (seconds) on every 503, per code (the compiler holds every 503 code to have one). Redis comes back
// within seconds (ioredis reconnects on its own); a writer or a peer lets go within a second or two; freeing or
// remounting a disk takes an operator, so those clients are asked to wait longer; a full node's SSE slots free slowly.
const RETRY_AFTER_S: Readonly<Record<Code503, number>> = {
  unavailable: 3,
  write_conflict: 1,
  blob_unavailable: 2,
  blob_corrupt: 2,
  replication_failed: 2,
  too_many_subscribers: 5,
  disk_full: 5,
  disk_read_only: 5,
  disk_error: 5,
};
/** A 423 with no known lease end (a lock-API lease seen at commit, a Ricart-Agrawala wait) retries after this. */
const LOCKED_RETRY_S = 1;

/** Every response carries it: a browser never guesses a type other than the stored Content-Type. */
export const NOSNIFF = { 'X-Content-Type-Options': 'nosniff' } as const;

/** Pure: the catalogue code for a disk fault (errno code) on `err` or anywhere on its `cause` chain. */
export function diskFaultOf(err: unknown): ErrorCode | undefined {
  let e = err;
  for (let i = 0; i < MAX_CAUSES && typeof e === 'object' && e !== null; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(DISK_FAULTS, code)) return DISK_FAULTS[code];
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Pure: the catalogue error that answers `err`: a specific ApiError as is, a disk fault as disk_*, else internal. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError && !GENERIC.has(err.code)) return err;
  const disk = diskFaultOf(err);
  if (disk) return new ApiError(disk, undefined, undefined, { cause: err });
  return err instanceof ApiError ? err : new ApiError('internal', undefined, undefined, { cause: err });
}

/**
 * Pure: the Retry-After seconds for an error answer, or undefined. Every 503 has one (per code), and every 423: the
 * seconds left on the lease that refused it when the error says (details.expiresAt), else LOCKED_RETRY_S.
 */
export function retryAfterOf(api: ApiError, nowMs: number): number | undefined {
  if (api.status === 423) {
    const expiresAt = api.details?.expiresAt;
    const at = typeof expiresAt === 'string' ? Date.parse(expiresAt) : Number.NaN;
    return Number.isNaN(at) ? LOCKED_RETRY_S : Math.max(1, Math.ceil((at - nowMs) / 1000));
  }
  return api.status === 503 ? RETRY_AFTER_S[api.code as Code503] : undefined;
}

/** Pure: the catalogue code for an error Node's HTTP parser raised on a connection (no request object exists). */
export function clientErrorCode(code: string | undefined): ErrorCode {
  if (code === 'HPE_HEADER_OVERFLOW') return 'headers_too_large';
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'request_timeout';
  return 'bad_request';
}

/** Pure: a complete HTTP/1.1 error response as bytes for a bare socket; the connection closes after it. */
export function rawErrorResponse(api: ApiError): string {
  const text = JSON.stringify(api.toBody());
  const head = [
    `HTTP/1.1 ${api.status} ${STATUS_CODES[api.status] ?? ''}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    'Connection: close',
  ];
  return `${head.join('\r\n')}\r\n\r\n${text}`;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    ...NOSNIFF,
  });
  res.end(text);
}

/**
 * A failure while the Redis connection is not ready is Redis being away (503 unavailable, retry), not a bug (500).
 * Decided on the connection's state, never on an error's message text. A disk fault stays a disk fault.
 */
export function withDependencyState(err: unknown, redisReady: boolean): unknown {
  if (err instanceof ApiError || diskFaultOf(err) !== undefined) return err;
  if (redisReady && !isRedisTimeout(err)) return err;
  return new ApiError('unavailable', 'Redis is not reachable right now; retry shortly.', undefined, { cause: err });
}

/** Pure: ioredis' error for a command unanswered within commandTimeout (REDIS_COMMAND_TIMEOUT_MS). */
export const isRedisTimeout = (err: unknown): boolean => err instanceof Error && err.message === 'Command timed out';

/** Sends `err` as {"error":{code,message,...}} (see toApiError); a 5xx is logged, a 503 says when to retry. */
export function sendError(res: ServerResponse, err: unknown, headers?: Record<string, string>): void {
  const api = toApiError(err);
  if (api.status >= 500) res.failure = err;
  if (res.headersSent) {
    // Mid-body: cutting the connection is the only way to tell the client. Already complete (a miss is finished
    // before the local copy is fsynced): the client has a whole, verified body; leave it be.
    if (!res.writableEnded) res.destroy();
    return;
  }
  const retry = retryAfterOf(api, Date.now());
  sendJson(res, api.status, api.toBody(), retry === undefined ? headers : { 'Retry-After': String(retry), ...headers });
}
