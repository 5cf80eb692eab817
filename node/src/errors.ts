// The error catalogue: every error the API can return, defined once. Clients match on `code`, never on text.
// docs/api.md lists these codes; test/unit/catalogue.test.ts checks that every code here is documented there.

export const catalogue = {
  invalid_name: { status: 400, message: 'The file name is not valid.' },
  invalid_version: { status: 400, message: 'The version must be a whole number of at least 1.' },
  invalid_digest: { status: 400, message: 'A SHA-256 digest is 64 lowercase hexadecimal characters.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  invalid_request: { status: 400, message: 'The request is not valid.' },
  invalid_range: { status: 416, message: 'The requested range cannot be satisfied.' },
  invalid_header: { status: 400, message: 'A request header is not valid.' },
  bad_request: { status: 400, message: 'The HTTP request could not be parsed.' },
  request_timeout: { status: 408, message: 'The request did not arrive in time.' },
  headers_too_large: { status: 431, message: 'The request headers are too large.' },
  expectation_failed: { status: 417, message: 'Only "Expect: 100-continue" is supported.' },
  unauthorized: { status: 401, message: 'This request needs "Authorization: Bearer <write token>".' },
  forbidden: { status: 403, message: 'The token is not valid for this request.' },
  file_not_found: { status: 404, message: 'No file has that name.' },
  version_not_found: { status: 404, message: 'The file has no such version.' },
  blob_not_found: { status: 404, message: 'No content has that digest.' },
  file_deleted: { status: 404, message: 'The file has been deleted; older versions remain readable.' },
  route_not_found: { status: 404, message: 'No such route.' },
  method_not_allowed: { status: 405, message: 'That method is not allowed on this route.' },
  lock_not_held: { status: 409, message: 'That lock token does not hold the lock (expired, released or never issued).' },
  stale_fence: { status: 409, message: 'A newer lock holder has committed since this lock was taken; nothing was written.' },
  duplicate_content: { status: 409, message: 'The same content is already stored.' },
  delete_marker: { status: 409, message: 'That version is a delete marker and has no content.' },
  precondition_failed: { status: 412, message: 'A precondition (If-Match / If-None-Match) did not hold.' },
  locked: { status: 423, message: 'Someone else holds the lock on this file.' },
  payload_too_large: { status: 413, message: 'The request body is larger than allowed.' },
  unsupported_media_type: { status: 415, message: 'The request body must be JSON.' },
  digest_mismatch: { status: 422, message: 'The body does not match X-Content-SHA256; nothing was stored.' },
  incomplete_body: { status: 400, message: 'The request body ended before Content-Length bytes arrived.' },
  too_many_subscribers: { status: 503, message: 'Too many event subscribers on this node; try another node.' },
  blob_unavailable: { status: 503, message: 'The content of this version is not available on this node.' },
  blob_corrupt: { status: 503, message: 'The stored copy failed its integrity check and no healthy copy could be reached; retry.' },
  disk_full: { status: 503, message: 'The data directory is full; retry later.' },
  disk_read_only: { status: 503, message: 'The data directory is read-only; retry later.' },
  disk_error: { status: 503, message: 'The data directory failed (I/O error); retry later.' },
  replication_failed: { status: 503, message: 'Could not store the required number of copies; nothing was committed.' },
  peer_forbidden: { status: 403, message: 'This route is for cluster peers only (X-Cluster-Secret).' },
  write_conflict: { status: 503, message: 'Too many concurrent writers; retry.' },
  unavailable: { status: 503, message: 'A dependency (Redis or the data directory) is unavailable.' },
  internal: { status: 500, message: 'Internal error.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof catalogue;

/** An error with a catalogue code; `details` are extra JSON fields for the client (e.g. the existing file). */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message ?? catalogue[code].message, options);
    this.name = 'ApiError';
    this.status = catalogue[code].status;
  }

  toBody(): { error: Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

export const apiError = (code: ErrorCode, message?: string, details?: Record<string, unknown>): ApiError =>
  new ApiError(code, message, details);
