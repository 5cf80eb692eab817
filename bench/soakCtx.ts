// What every soak operation is given, and the steps they share: pick a node and a name, send, count the answer
// (transport failures included), compare a body with its ETag and with what the run wrote.
import type http from 'node:http';
import { errorCode, describe, etagDigest } from './soakHttp.js';
import type { Known } from './soakKnown.js';
import { judge, label, type Kind, type Outcome, type Tally } from './soakTally.js';

export interface SoakNode {
  readonly id: string;
  readonly url: string;
  readonly agent: http.Agent;
}

export interface OpCtx {
  readonly nodes: readonly SoakNode[];
  readonly token: string;
  readonly known: Known;
  readonly tally: Tally;
  /** names written with hex text, read back through /read and /read_version too; they sort first */
  readonly textNames: readonly string[];
  readonly binaryNames: readonly string[];
}

/** The answers every request can be judged on: reads (Answer) and writes (bench/client.ts Timed) both fit. */
export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly sha256: string;
  readonly ms: number;
  readonly body?: Buffer | undefined;
}

export const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
export const anyNode = (ctx: OpCtx): SoakNode => pick(ctx.nodes);
export const anyName = (ctx: OpCtx): string => (Math.random() < 0.2 ? pick(ctx.textNames) : pick(ctx.binaryNames));
export const isText = (ctx: OpCtx, name: string): boolean => ctx.textNames.includes(name);
export const encodeName = (name: string): string => name.split('/').map(encodeURIComponent).join('/');

/** Runs one request; a transport failure (reset, idle timeout) is counted as an "error" answer and gives undefined. */
export async function send<T extends Reply>(ctx: OpCtx, kind: Kind, node: SoakNode, request: string, go: () => Promise<T>): Promise<T | undefined> {
  const t0 = performance.now();
  try {
    return await go();
  } catch (err) {
    const e = err as Error & { code?: string };
    ctx.tally.answer(kind, 'error', `error ${e.code ?? e.message}`, performance.now() - t0, { node: node.id, request, answer: e.message });
    return undefined;
  }
}

/** Which request an answer belongs to. */
export interface Where {
  readonly kind: Kind;
  readonly node: SoakNode;
  readonly request: string;
}

export interface Expect {
  readonly ok: readonly string[];
  readonly legit?: readonly string[];
}

/** Counts an answer; returns its outcome and error code. `relabel` marks an otherwise ok answer as a finding. */
export function count(ctx: OpCtx, w: Where, a: Reply, expect: Expect, relabel?: string): { outcome: Outcome; code: string | undefined } {
  const { kind, node, request } = w;
  const code = a.status >= 300 ? errorCode(a.body) : undefined;
  const outcome = relabel ? 'unexpected' : judge(a.status, code, expect.ok, expect.legit);
  const lbl = relabel ? `${label(a.status, code)} ${relabel}` : label(a.status, code);
  const id = a.headers['x-request-id'];
  const answer = `${describe(a.status, a.status >= 300 ? a.body : undefined)}${typeof id === 'string' ? ` (X-Request-Id ${id})` : ''}`;
  ctx.tally.answer(kind, outcome, lbl, a.ms, { node: node.id, request, answer });
  return { outcome, code };
}

/**
 * A content answer: the body must hash to its strong ETag, and the ETag must be the content the run confirmed for
 * this version (`expected`, when it knows it). `bodySha` overrides what the body must hash to (a Range's slice).
 */
export function checkContent(ctx: OpCtx, w: Where, a: Reply, expected: string | undefined, bodySha = etagDigest(a.headers)): void {
  const { kind, node, request } = w;
  const etag = etagDigest(a.headers);
  const wrong = (answer: string): void => ctx.tally.wrongBytes(kind, { node: node.id, request, answer });
  if (etag === undefined) return wrong(`no strong ETag (ETag: ${a.headers.etag ?? 'none'})`);
  if (a.sha256 !== bodySha) return wrong(`body sha256 ${a.sha256} != expected ${bodySha ?? '?'} (ETag ${etag})`);
  if (expected !== undefined && etag !== expected) return wrong(`ETag ${etag} != sha256 the run wrote for it ${expected}`);
}
