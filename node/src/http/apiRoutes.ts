// Every public route as the API document shows it: its parameters (the zod rules params.ts validates with), its
// answers (the schemas in answers.ts the routes send) and every catalogue error it can answer. openapi.ts turns
// this table into the OpenAPI document; test/unit/openapi.test.ts checks it against the routes Express and the read
// path really serve, and against the catalogue. Peer-only routes (/internal/*) are not public and not listed.
import { z } from 'zod';
import type { ZodOpenApiResponsesObject } from 'zod-openapi';
import type { ErrorCode } from '../errors.js';
import * as a from './answers.js';
import { documented as p } from './params.js';

type Method = 'get' | 'head' | 'put' | 'post' | 'delete';

export interface Operation {
  readonly method: Method;
  /** the OpenAPI path template; {name} is a file name, {sha256} a digest */
  readonly path: string;
  readonly id: string;
  readonly summary: string;
  readonly tag: 'files' | 'blobs' | 'locks' | 'events' | 'operations' | 'original API';
  /** needs Authorization: Bearer <WRITE_TOKEN> (when WRITE_TOKEN is set) */
  readonly auth?: boolean;
  readonly query?: Record<string, z.ZodType>;
  readonly headers?: Record<string, z.ZodType>;
  readonly body?: {
    readonly mediaType: string;
    readonly schema: z.ZodType;
    readonly required: boolean;
  };
  /** the answers that are not catalogue errors */
  readonly answers: ZodOpenApiResponsesObject;
  /** the catalogue errors this route answers itself (openapi.ts adds those every route can answer) */
  readonly errors: readonly ErrorCode[];
  /** the original API answers its own 4xx with its old fields beside "error" (compatRoutes.ts) */
  readonly compatShape?: 'message' | 'status';
  /** a code answered with another status than the catalogue's (the original API's duplicate is a 400) */
  readonly statusOf?: Partial<Record<ErrorCode, number>>;
}

const json = (schema: z.ZodType): { content: { 'application/json': { schema: z.ZodType } } } => ({
  content: { 'application/json': { schema } },
});
const str = z.string();

/** What a write answers, and the errors every write through the writer can meet. */
const WRITTEN: ZodOpenApiResponsesObject = {
  '201': {
    description: 'a new version',
    headers: z.object({
      'X-Content-Version': str,
      Location: str,
      ETag: str.optional(),
    }),
    ...json(a.writeAnswer),
  },
  '200': {
    description: 'nothing changed (the same bytes as the head): the head',
    headers: z.object({ ETag: str.optional() }),
    ...json(a.unchangedAnswer),
  },
};
const WRITER_ERRORS: readonly ErrorCode[] = ['locked', 'lock_not_held', 'stale_fence', 'write_conflict', 'invalid_header', 'invalid_request'];
const AUTH_ERRORS: readonly ErrorCode[] = ['unauthorized', 'forbidden'];
const JSON_BODY_ERRORS: readonly ErrorCode[] = ['invalid_json', 'unsupported_media_type', 'payload_too_large', 'incomplete_body'];
const DISK_ERRORS: readonly ErrorCode[] = ['disk_full', 'disk_read_only', 'disk_error'];
const CONTENT_ERRORS: readonly ErrorCode[] = ['invalid_range', 'blob_unavailable', 'blob_corrupt', 'disk_error'];
const lockWrite = { waitMs: p.waitMs };
const lockToken = { 'X-Lock-Token': p.writeLockToken };

const contentHeaders = z.object({
  ETag: str.meta({ description: 'the strong validator: "<sha256>"' }),
  'Content-Length': str,
  'Accept-Ranges': z.literal('bytes'),
  'Cache-Control': str,
  'Last-Modified': str.optional(),
  'X-Content-Version': str.optional(),
  'X-Cache': z.enum(['HIT', 'MISS']),
});
const conditional = {
  Range: str.optional().meta({
    description: 'one range: bytes=a-b, a- or -n (anything else: the whole body)',
  }),
  'If-None-Match': str.optional(),
  'If-Modified-Since': str.optional(),
  'If-Range': str.optional(),
};

/** GET or HEAD of stored bytes: the body (none for HEAD), a part of it, or not modified. */
function content(head: boolean): ZodOpenApiResponsesObject {
  const body = head ? {} : { content: { '*/*': {} } };
  return {
    '200': { description: 'the bytes', headers: contentHeaders, ...body },
    '206': {
      description: 'the range asked for',
      headers: contentHeaders.extend({ 'Content-Range': str }),
      ...body,
    },
    '304': { description: 'not modified (If-None-Match, If-Modified-Since)' },
  };
}

function fileRead(method: 'get' | 'head'): Operation {
  return {
    method,
    path: '/files/{name}',
    id: `${method}File`,
    summary: "The latest version's bytes, or version N's (?version=N: immutable)",
    tag: 'files',
    query: {
      version: p.version.optional(),
      download: p.download.optional().meta({
        description: '1: answered with Content-Disposition: attachment (named by the last segment of the name)',
      }),
    },
    headers: conditional,
    answers: content(method === 'head'),
    errors: ['invalid_name', 'invalid_version', 'invalid_request', 'file_not_found', 'version_not_found', 'file_deleted', ...CONTENT_ERRORS],
  };
}

function blobRead(method: 'get' | 'head'): Operation {
  return {
    method,
    path: '/blobs/sha256/{sha256}',
    id: `${method}Blob`,
    summary: 'Committed content by its digest (immutable)',
    tag: 'blobs',
    headers: conditional,
    answers: content(method === 'head'),
    errors: ['invalid_digest', 'blob_not_found', ...CONTENT_ERRORS],
  };
}

const FILES: Operation[] = [
  {
    method: 'get',
    path: '/files',
    id: 'listFiles',
    summary: 'Names in byte order with their heads (deleted files are not listed)',
    tag: 'files',
    query: { prefix: p.prefix, cursor: p.listCursor, limit: p.limit },
    answers: { '200': { description: 'one page', ...json(a.filesPage) } },
    errors: ['invalid_request'],
  },
  fileRead('get'),
  fileRead('head'),
  {
    method: 'put',
    path: '/files/{name}',
    id: 'putFile',
    summary: 'Write a new version (the raw bytes, streamed)',
    tag: 'files',
    auth: true,
    query: lockWrite,
    headers: {
      'X-Content-SHA256': p.contentSha256,
      'If-Match': p.ifMatch,
      'If-None-Match': p.ifNoneMatch,
      ...lockToken,
    },
    body: {
      mediaType: 'application/octet-stream',
      schema: z.string().meta({ format: 'binary' }),
      required: false,
    },
    answers: WRITTEN,
    errors: [
      'invalid_name',
      'invalid_digest',
      'precondition_failed',
      'duplicate_content',
      'payload_too_large',
      'digest_mismatch',
      'incomplete_body',
      'replication_failed',
      ...AUTH_ERRORS,
      ...WRITER_ERRORS,
      ...DISK_ERRORS,
    ],
  },
  {
    method: 'delete',
    path: '/files/{name}',
    id: 'deleteFile',
    summary: 'Write a delete marker (older versions stay readable)',
    tag: 'files',
    auth: true,
    query: lockWrite,
    headers: lockToken,
    answers: {
      '200': {
        description: 'the delete marker',
        headers: z.object({ 'X-Content-Version': str, Location: str }),
        ...json(a.writeAnswer),
      },
    },
    errors: ['invalid_name', 'file_not_found', 'file_deleted', 'payload_too_large', ...AUTH_ERRORS, ...WRITER_ERRORS],
  },
  {
    method: 'get',
    path: '/files/{name}/versions',
    id: 'listVersions',
    summary: 'The history, newest first',
    tag: 'files',
    query: { cursor: p.versionCursor, limit: p.limit },
    answers: { '200': { description: 'one page', ...json(a.versionsPage) } },
    errors: ['invalid_name', 'invalid_version', 'invalid_request', 'file_not_found'],
  },
  {
    method: 'post',
    path: '/files/{name}/revert',
    id: 'revertFile',
    summary: "A new version with version N's content",
    tag: 'files',
    auth: true,
    query: lockWrite,
    headers: lockToken,
    body: {
      mediaType: 'application/json',
      schema: p.revertBody,
      required: true,
    },
    answers: WRITTEN,
    errors: ['invalid_name', 'invalid_version', 'file_not_found', 'version_not_found', 'delete_marker', ...JSON_BODY_ERRORS, ...AUTH_ERRORS, ...WRITER_ERRORS],
  },
  blobRead('get'),
  blobRead('head'),
];

const lockBody = {
  mediaType: 'application/json',
  schema: p.lockBody,
  required: false,
};
const LOCKS: Operation[] = [
  {
    method: 'post',
    path: '/locks/{name}',
    id: 'takeLock',
    summary: 'Take the lock on a name (waits up to ?waitMs=)',
    tag: 'locks',
    auth: true,
    query: { waitMs: p.waitMs },
    headers: { 'X-Lock-Holder': p.holder },
    body: lockBody,
    answers: { '201': { description: 'held', ...json(a.lockTaken) } },
    errors: ['invalid_name', 'invalid_request', 'locked', ...JSON_BODY_ERRORS, ...AUTH_ERRORS],
  },
  {
    method: 'get',
    path: '/locks/{name}',
    id: 'showLock',
    summary: 'Who holds the lock (never the token)',
    tag: 'locks',
    auth: true,
    answers: { '200': { description: 'the lock', ...json(a.lockState) } },
    errors: ['invalid_name', ...JSON_BODY_ERRORS, ...AUTH_ERRORS],
  },
  {
    method: 'delete',
    path: '/locks/{name}',
    id: 'releaseLock',
    summary: 'Release the lock',
    tag: 'locks',
    auth: true,
    headers: { 'X-Lock-Token': p.leaseToken },
    answers: { '204': { description: 'released' } },
    errors: ['invalid_name', 'invalid_request', 'lock_not_held', ...JSON_BODY_ERRORS, ...AUTH_ERRORS],
  },
  {
    method: 'post',
    path: '/locks/{name}/refresh',
    id: 'refreshLock',
    summary: 'Extend the lease',
    tag: 'locks',
    auth: true,
    headers: { 'X-Lock-Token': p.leaseToken },
    body: lockBody,
    answers: { '200': { description: 'extended', ...json(a.lockRefreshed) } },
    errors: ['invalid_name', 'invalid_request', 'lock_not_held', ...JSON_BODY_ERRORS, ...AUTH_ERRORS],
  },
];

const OPS: Operation[] = [
  {
    method: 'get',
    path: '/events',
    id: 'events',
    summary: 'Server-Sent Events: every change, resumable (Last-Event-ID or ?from=)',
    tag: 'events',
    query: { from: p.from },
    headers: { 'Last-Event-ID': p.lastEventId },
    answers: {
      '200': {
        description: 'the stream (never ends)',
        content: { 'text/event-stream': { schema: str } },
      },
    },
    errors: ['invalid_request', 'too_many_subscribers'],
  },
  {
    method: 'get',
    path: '/healthz',
    id: 'healthz',
    summary: 'The process is up',
    tag: 'operations',
    answers: { '200': { description: 'up', ...json(a.health) } },
    errors: [],
  },
  {
    method: 'get',
    path: '/readyz',
    id: 'readyz',
    summary: 'Redis answers and DATA_DIR is writable (else 503 unavailable with the checks)',
    tag: 'operations',
    answers: { '200': { description: 'ready', ...json(a.ready) } },
    errors: [],
  },
  {
    method: 'get',
    path: '/metrics',
    id: 'metrics',
    summary: 'Prometheus metrics (docs/metrics.md)',
    tag: 'operations',
    answers: {
      '200': {
        description: 'the exposition',
        content: { 'text/plain': { schema: str } },
      },
    },
    errors: [],
  },
  {
    method: 'get',
    path: '/cluster',
    id: 'cluster',
    summary: "Membership and this node's cache",
    tag: 'operations',
    answers: { '200': { description: 'this node', ...json(a.clusterInfo) } },
    errors: [],
  },
  {
    method: 'get',
    path: '/openapi.json',
    id: 'openapi',
    summary: 'This document',
    tag: 'operations',
    answers: {
      '200': {
        description: 'the OpenAPI 3.1 document',
        ...json(z.looseObject({ openapi: z.literal('3.1.0') })),
      },
    },
    errors: [],
  },
];

const COMPAT_WRITE_ERRORS: readonly ErrorCode[] = [
  'invalid_name',
  'invalid_request',
  'locked',
  'stale_fence',
  'write_conflict',
  'replication_failed',
  ...JSON_BODY_ERRORS,
  ...AUTH_ERRORS,
  ...DISK_ERRORS,
];
const COMPAT: Operation[] = [
  {
    method: 'post',
    path: '/write',
    id: 'compatWrite',
    summary: 'Write a text file (a duplicate, the same text again included, is a 400)',
    tag: 'original API',
    auth: true,
    body: {
      mediaType: 'application/json',
      schema: p.compatWriteBody,
      required: true,
    },
    answers: { '200': { description: 'written', ...json(a.compatMessage) } },
    errors: ['duplicate_content', ...COMPAT_WRITE_ERRORS],
    compatShape: 'message',
    statusOf: { duplicate_content: 400 },
  },
  {
    method: 'post',
    path: '/add_file',
    id: 'compatAddFile',
    summary: 'Write a text file (no content: an empty file)',
    tag: 'original API',
    auth: true,
    body: {
      mediaType: 'application/json',
      schema: p.compatAddBody,
      required: true,
    },
    answers: {
      '200': {
        description: 'written (or unchanged)',
        ...json(a.compatSuccess),
      },
    },
    errors: ['duplicate_content', ...COMPAT_WRITE_ERRORS],
    compatShape: 'status',
  },
  {
    method: 'get',
    path: '/get_file',
    id: 'compatGetFile',
    summary: "A file's path under /files",
    tag: 'original API',
    query: { filename: p.name },
    answers: { '200': { description: 'the path', ...json(a.compatPath) } },
    errors: ['invalid_request', 'invalid_name', 'file_not_found'],
    compatShape: 'status',
  },
  {
    method: 'get',
    path: '/read_version',
    id: 'compatReadVersion',
    summary: "A version's text",
    tag: 'original API',
    query: { file_name: p.name, version: p.version },
    answers: {
      '200': { description: 'the version', ...json(a.compatVersion) },
    },
    errors: ['invalid_request', 'invalid_name', 'invalid_version', 'version_not_found', 'payload_too_large', 'blob_unavailable', 'blob_corrupt', 'disk_error'],
    compatShape: 'message',
  },
  {
    method: 'get',
    path: '/read',
    id: 'compatRead',
    summary: 'Every latest text, bounded (READ_COMPAT_MAX_FILES, READ_COMPAT_MAX_BYTES)',
    tag: 'original API',
    answers: {
      '200': {
        description: 'name -> text',
        headers: z.object({ 'X-Kubecdn-Truncated': z.enum(['true', 'false']) }),
        ...json(a.compatReadAll),
      },
    },
    errors: ['blob_unavailable', 'blob_corrupt', 'disk_error'],
    compatShape: 'message',
  },
];

export const OPERATIONS: readonly Operation[] = [...FILES, ...LOCKS, ...OPS, ...COMPAT];

/** Errors any request can meet, whatever its route: Node's parser, the node starting or without Redis, a bug. */
export const ANY_ROUTE: readonly ErrorCode[] = ['bad_request', 'request_timeout', 'headers_too_large', 'expectation_failed', 'unavailable', 'internal'];
