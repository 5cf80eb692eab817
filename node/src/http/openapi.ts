// The OpenAPI 3.1 document of the public API, generated from the route table (apiRoutes.ts), whose parameters and
// answers are the zod schemas the code validates with and sends: zod-openapi renders them. Served at GET
// /openapi.json and kept in the repo as docs/openapi.json (`npm run openapi`; a test keeps the two equal).
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponseObject } from 'zod-openapi';
import { catalogue, type ErrorCode } from '../errors.js';
import { DIGEST_RE } from '../storage/blobStore.js';
import { compatErrorBody, errorBody } from './answers.js';
import { ANY_ROUTE, OPERATIONS, type Operation } from './apiRoutes.js';
import { documented } from './params.js';

type Codes = [ErrorCode, ...ErrorCode[]];

const PATH_PARAMS: Record<string, z.ZodType> = {
  name: documented.name,
  sha256: z.string().regex(DIGEST_RE).meta({ description: 'a SHA-256 digest, 64 lowercase hex characters' }),
};

const retryAfter = z.string().regex(/^\d+$/).optional().meta({ description: 'seconds: every 503 has one; a 423 may' });

/** Pure: one operation's errors by status, the route's own and those of any route, each code once. */
export function errorsByStatus(op: Pick<Operation, 'errors' | 'statusOf'>): Map<number, { own: ErrorCode[]; any: ErrorCode[] }> {
  const out = new Map<number, { own: ErrorCode[]; any: ErrorCode[] }>();
  const add = (code: ErrorCode, kind: 'own' | 'any'): void => {
    const status = op.statusOf?.[code] ?? catalogue[code].status;
    const entry = out.get(status) ?? { own: [], any: [] };
    if (!entry.own.includes(code) && !entry.any.includes(code)) entry[kind].push(code);
    out.set(status, entry);
  };
  for (const code of op.errors) add(code, 'own');
  for (const code of ANY_ROUTE) add(code, 'any');
  return new Map([...out].sort(([x], [y]) => x - y));
}

/** The body of one error status: the catalogue's JSON, or for the original API's own 4xx its old shape. */
function errorSchema(op: Operation, status: number, own: ErrorCode[], any: ErrorCode[]): z.ZodType {
  // the original API's error handler reshapes its own 4xx; 5xx and the errors of any route pass it by
  const shape = status < 500 && own.length > 0 ? op.compatShape : undefined;
  if (shape === undefined) return errorBody([...own, ...any] as Codes);
  const compat = compatErrorBody(own as Codes, shape);
  return any.length > 0 ? z.union([compat, errorBody(any as Codes)]) : compat;
}

/** The error answers of one operation (no body on HEAD); a 503, and a 423, may say when to retry. */
function errorResponses(op: Operation): Record<string, ZodOpenApiResponseObject> {
  const out: Record<string, ZodOpenApiResponseObject> = {};
  for (const [status, { own, any }] of errorsByStatus(op)) {
    const retry = status === 503 || status === 423 ? { headers: z.object({ 'Retry-After': retryAfter }) } : {};
    const body = op.method === 'head' ? {} : { content: { 'application/json': { schema: errorSchema(op, status, own, any) } } };
    out[String(status)] = { description: [...own, ...any].map((c) => `\`${c}\``).join(', '), ...retry, ...body };
  }
  return out;
}

function operation(op: Operation): ZodOpenApiOperationObject {
  const pathNames = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
  const path = Object.fromEntries(pathNames.map((n) => [n, PATH_PARAMS[n] ?? z.string()]));
  return {
    operationId: op.id,
    summary: op.summary,
    tags: [op.tag],
    ...(op.auth ? { security: [{ bearer: [] }] } : {}),
    requestParams: {
      ...(pathNames.length ? { path: z.object(path) } : {}),
      ...(op.query ? { query: z.object(op.query) } : {}),
      ...(op.headers ? { header: z.object(op.headers) } : {}),
    },
    ...(op.body
      ? {
          requestBody: {
            required: op.body.required,
            content: { [op.body.mediaType]: { schema: op.body.schema } },
          },
        }
      : {}),
    responses: { ...op.answers, ...errorResponses(op) },
  };
}

/** Answers not tied to one operation: what a request to no route, or with another method, or to /internal/ gets. */
const ELSEWHERE: Record<string, ZodOpenApiResponseObject> = {
  RouteNotFound: {
    description: '`route_not_found`: no such route',
    content: { 'application/json': { schema: errorBody(['route_not_found']) } },
  },
  MethodNotAllowed: {
    description: '`method_not_allowed`: the route exists, not with this method (Allow says which)',
    headers: z.object({ Allow: z.string() }),
    content: {
      'application/json': { schema: errorBody(['method_not_allowed']) },
    },
  },
  PeerForbidden: {
    description: '`peer_forbidden`: a peer-only route (/internal/*, not public, not in this document) without a valid X-Cluster-Auth',
    content: { 'application/json': { schema: errorBody(['peer_forbidden']) } },
  },
};

let cached: string | undefined;

/**
 * The document as JSON text, built once, on first use (135 ms measured, so not on every node's start): what GET
 * /openapi.json answers and docs/openapi.json holds.
 */
export function openApiText(): string {
  cached ??= `${JSON.stringify(openApiDocument(), null, 2)}\n`;
  return cached;
}

export function openApiDocument(): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const op of OPERATIONS) paths[op.path] = { ...paths[op.path], [op.method]: operation(op) };
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'kubecdn file node',
      version: '1',
      description:
        'Every node serves every route. Reads are public; writes need Authorization: Bearer <WRITE_TOKEN>. ' +
        'Errors are {"error":{"code","message",...}} with a code from the catalogue (docs/api.md).',
    },
    tags: [{ name: 'files' }, { name: 'blobs' }, { name: 'locks' }, { name: 'events' }, { name: 'operations' }, { name: 'original API' }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      responses: ELSEWHERE,
    },
  });
}
