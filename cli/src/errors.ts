// The CLI's error catalogue: every API error code the node can return, mapped once to an exit code and a message a
// person can act on. Pure: no I/O, so test/cli/errors.test.ts checks that every node code is covered.

/** Documented in docs/cli.md; scripts rely on these numbers, so never renumber them. */
export const EXIT = {
  ok: 0,
  usage: 1,
  notFound: 2,
  conflict: 3,
  auth: 4,
  server: 5,
  integrity: 6,
  /** Ctrl-C (SIGINT) or SIGTERM during a command other than watch, which stops with 0 */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports and exits with. `code` is the API code when there was one, else a CLI code. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly code: string = 'cli_error',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** What the server answered: status plus the `{"error":{code,message,...}}` body when it had one. */
export interface ApiFailure {
  readonly status: number;
  readonly code: string | undefined;
  readonly message: string | undefined;
  readonly details: Readonly<Record<string, unknown>>;
}

/** What the CLI was doing, so a message can name the file, version or feature instead of being generic. */
export interface FailureContext {
  readonly server: string;
  readonly name?: string | undefined;
  readonly version?: number | undefined;
  /** set by commands whose routes a node may not have yet (locks, cluster) */
  readonly feature?: 'locks' | 'cluster' | undefined;
}

type Describe = (f: ApiFailure, ctx: FailureContext) => string;

interface Entry {
  readonly exit: ExitCode;
  readonly describe: Describe;
}

const q = (name: string | undefined): string => (name === undefined ? 'the file' : `"${name}"`);
const serverSaid = (f: ApiFailure, fallback: string): string => f.message ?? fallback;
const str = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

const usage = (fallback: string): Entry => ({ exit: EXIT.usage, describe: (f) => serverSaid(f, fallback) });
const server = (fallback: string): Entry => ({ exit: EXIT.server, describe: (f) => serverSaid(f, fallback) });

function describeDuplicate(f: ApiFailure): string {
  const existing = f.details.existing as { name?: unknown; version?: unknown } | undefined;
  const name = str(existing?.name);
  const version = str(existing?.version);
  if (name === undefined) return serverSaid(f, 'The same content is already stored under another name.');
  return (
    `The same content is already stored as "${name}"${version === undefined ? '' : ` version ${version}`}; ` +
    `nothing was written. Use "kubecdn revert" to restore an older version of a file.`
  );
}

function describeLocked(f: ApiFailure, ctx: FailureContext): string {
  const holder = str(f.details.holder);
  const expires = str(f.details.expiresAt);
  const who = holder === undefined ? 'another client' : `"${holder}"`;
  const until = expires === undefined ? '' : ` until ${expires}`;
  return `${q(ctx.name)} is locked by ${who}${until}.`;
}

function describeRouteNotFound(_f: ApiFailure, ctx: FailureContext): string {
  if (ctx.feature !== undefined) {
    return `The server at ${ctx.server} does not support ${ctx.feature} yet (its API has no such route).`;
  }
  return `The server at ${ctx.server} does not know this request: is it a kubecdn node of a matching version?`;
}

/** Every code in node/src/errors.ts (test/cli/errors.test.ts checks that none is missing). */
export const ERRORS: Readonly<Record<string, Entry>> = {
  invalid_name: usage('The file name is not valid.'),
  invalid_version: usage('The version must be a whole number of at least 1.'),
  invalid_digest: usage('A SHA-256 digest is 64 lowercase hexadecimal characters.'),
  invalid_json: usage('The server could not parse the request body.'),
  invalid_request: usage('The server refused the request as not valid.'),
  invalid_range: usage('The requested range cannot be satisfied.'),
  invalid_header: usage('A request header is not valid.'),
  unauthorized: {
    exit: EXIT.auth,
    describe: () => 'This server needs a write token: pass --token or set KUBECDN_TOKEN.',
  },
  forbidden: {
    exit: EXIT.auth,
    describe: () => 'The server refused the write token: check --token or KUBECDN_TOKEN.',
  },
  file_not_found: { exit: EXIT.notFound, describe: (_f, ctx) => `No file is named ${q(ctx.name)}.` },
  version_not_found: {
    exit: EXIT.notFound,
    describe: (f, ctx) =>
      ctx.version === undefined
        ? `${q(ctx.name)}: ${serverSaid(f, 'no such version.')}`
        : `${q(ctx.name)} has no version ${ctx.version}.`,
  },
  blob_not_found: { exit: EXIT.notFound, describe: (f) => serverSaid(f, 'No content has that digest.') },
  file_deleted: {
    exit: EXIT.notFound,
    describe: (_f, ctx) =>
      ctx.version === undefined
        ? `${q(ctx.name)} has been deleted; older versions remain readable ("kubecdn versions", then get --version N).`
        : `Version ${ctx.version} of ${q(ctx.name)} is a delete marker and has no content.`,
  },
  route_not_found: { exit: EXIT.server, describe: describeRouteNotFound },
  method_not_allowed: server('The server does not allow this method here.'),
  duplicate_content: { exit: EXIT.conflict, describe: describeDuplicate },
  delete_marker: {
    exit: EXIT.conflict,
    describe: (_f, ctx) => `Version ${ctx.version ?? '?'} of ${q(ctx.name)} is a delete marker: there is nothing to revert to.`,
  },
  precondition_failed: {
    exit: EXIT.conflict,
    describe: (f, ctx) => `${q(ctx.name)} changed meanwhile: ${serverSaid(f, 'a precondition did not hold.')}`,
  },
  payload_too_large: usage('The file is larger than this server accepts.'),
  unsupported_media_type: usage('The server refused the body type.'),
  digest_mismatch: {
    exit: EXIT.integrity,
    describe: () =>
      'The bytes the server received do not match their SHA-256 (did the file change during the upload?); ' +
      'nothing was stored.',
  },
  incomplete_body: server('The upload ended early; nothing was stored.'),
  request_timeout: server('The server gave up waiting for the request.'),
  bad_request: usage('The server could not parse the request.'),
  headers_too_large: usage('The request headers are too large for the server.'),
  expectation_failed: usage('The server supports only "Expect: 100-continue".'),
  blob_corrupt: server('That node’s copy failed its integrity check and no healthy copy was reachable; retry shortly.'),
  disk_full: server('The server’s data directory is full; nothing was stored. Retry later.'),
  disk_read_only: server('The server’s data directory is read-only; nothing was stored. Retry later.'),
  disk_error: server('The server’s data directory failed (I/O error). Retry later.'),
  too_many_subscribers: server('Too many event subscribers on this node; try another node.'),
  blob_unavailable: server('The content of this version is not available on this node; try another node.'),
  write_conflict: server('Too many concurrent writers; retry.'),
  unavailable: server('The server cannot reach Redis or its data directory.'),
  internal: server('The server failed (internal error); see its log.'),
  replication_failed: server('The cluster could not store the required number of copies; nothing was committed.'),
  peer_forbidden: {
    exit: EXIT.auth,
    describe: () => 'That route is for cluster peers only (X-Cluster-Secret); the CLI never needs it.',
  },
  locked: { exit: EXIT.conflict, describe: describeLocked },
  lock_not_held: {
    exit: EXIT.conflict,
    describe: (_f, ctx) => `That lock token does not hold the lock on ${q(ctx.name)} (expired, released or never issued).`,
  },
  stale_fence: {
    exit: EXIT.conflict,
    describe: (_f, ctx) =>
      `A newer lock holder has written ${q(ctx.name)} since this lock was taken; nothing was written. Take the lock again.`,
  },
};

/** Exit code for a status the catalogue does not name (an older or newer server, a proxy). */
export function exitForStatus(status: number): ExitCode {
  return BY_STATUS[status] ?? (status >= 400 && status < 500 ? EXIT.usage : EXIT.server);
}

const BY_STATUS: Readonly<Record<number, ExitCode>> = {
  401: EXIT.auth,
  403: EXIT.auth,
  404: EXIT.notFound,
  410: EXIT.notFound,
  409: EXIT.conflict,
  412: EXIT.conflict,
  423: EXIT.conflict,
  422: EXIT.integrity,
};

/** The one place an API failure becomes a CliError. */
export function fromApiFailure(f: ApiFailure, ctx: FailureContext): CliError {
  const entry = f.code === undefined ? undefined : ERRORS[f.code];
  if (entry) return new CliError(entry.exit, entry.describe(f, ctx), f.code);
  if (f.status === 423) return new CliError(EXIT.conflict, describeLocked(f, ctx), f.code ?? 'locked');
  const said = f.message === undefined ? '' : `: ${f.message}`;
  const code = f.code ?? `http_${f.status}`;
  return new CliError(exitForStatus(f.status), `The server at ${ctx.server} answered ${f.status} (${code})${said}`, code);
}

export const interrupted = (): CliError => new CliError(EXIT.interrupted, 'Interrupted.', 'interrupted');

/** The most specific reason in an error's cause chain: a system code (ECONNREFUSED) or the innermost message. */
export function networkReason(err: unknown): string {
  let reason = err instanceof Error ? err.message : String(err);
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 5; depth++, e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    reason = e.message;
  }
  return reason;
}

/** A fetch that never got an answer: name the URL tried, and the system's reason when there is one. */
export function fromNetworkError(err: unknown, url: string): CliError {
  return new CliError(
    EXIT.server,
    `Cannot reach the kubecdn server at ${url} (${networkReason(err)}). Is it running? Set --server or KUBECDN_URL.`,
    'unreachable',
    { cause: err },
  );
}
