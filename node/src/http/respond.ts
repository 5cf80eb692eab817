// Writing JSON answers and catalogue errors on a raw ServerResponse (the read path has no Express).
import { STATUS_CODES, type ServerResponse } from 'node:http';
import { ApiError, type ErrorCode } from '../errors.js';

declare module 'node:http' {
  interface ServerResponse {
    /** the route label for metrics and logs, set by whichever handler took the request */
    metricsRoute?: string;
    /** the error behind a 5xx, for the request log line */
    failure?: unknown;
  }
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
  });
  res.end(text);
}

/**
 * A failure while the Redis connection is not ready is Redis being away (503 unavailable, retry), not a bug (500).
 * Decided on the connection's state, never on an error's message text.
 */
export function withDependencyState(err: unknown, redisReady: boolean): unknown {
  if (err instanceof ApiError || redisReady) return err;
  return new ApiError('unavailable', 'Redis is not reachable right now; retry shortly.', undefined, { cause: err });
}

/** Sends an ApiError as {"error":{code,message,...}}; anything else becomes a logged 500 `internal`. */
export function sendError(res: ServerResponse, err: unknown, headers?: Record<string, string>): void {
  const api = err instanceof ApiError ? err : new ApiError('internal', undefined, undefined, { cause: err });
  if (api.status >= 500) res.failure = err;
  if (res.headersSent) {
    // Mid-body: cutting the connection is the only way to tell the client. Already complete (a miss is finished
    // before the local copy is fsynced): the client has a whole, verified body; leave it be.
    if (!res.writableEnded) res.destroy();
    return;
  }
  sendJson(res, api.status, api.toBody(), headers);
}
