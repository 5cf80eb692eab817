// The soak run's writes: new content (some conditional on the head the run knows), content already stored (which
// must be refused as a duplicate), several writers on one name at once, reverts and deletes. Every version a node
// confirms is recorded (soakKnown.ts); the same version confirmed with other content is a history conflict.
import { randomBytes } from 'node:crypto';
import { auth, fileUrl, timed, type Timed } from './client.js';
import { binarySize, COLLISION_FREE_BYTES, contentBytes, sha256Of, textSize, type ContentSpec } from './soakContent.js';
import { anyName, anyNode, count, encodeName, isText, pick, send, type Expect, type OpCtx, type SoakNode } from './soakCtx.js';
import type { Kind } from './soakTally.js';

/** How long a write may wait behind a lock (?waitMs=) before 423 locked. */
const WAIT_MS = 10_000;

interface Written {
  readonly version?: unknown;
  readonly sha256?: unknown;
  readonly deleted?: unknown;
  readonly revertedFrom?: unknown;
}

function newContent(ctx: OpCtx, name: string, minSize = 1): { buf: Buffer; sha: string; spec: ContentSpec } {
  const text = isText(ctx, name);
  const size = Math.max(minSize, text ? textSize(Math.random()) : binarySize(Math.random(), Math.random()));
  const spec = { seed: randomBytes(16).toString('hex'), size, text };
  const buf = contentBytes(spec);
  const sha = sha256Of(buf);
  ctx.known.remember(sha, spec); // before sending: a read may see it before this write's answer arrives
  return { buf, sha, spec };
}

/** Small content can repeat by chance: then "unchanged" and "duplicate" are legitimate answers to a plain write. */
const collisions = (size: number): string[] => (size < COLLISION_FREE_BYTES ? ['200', '409 duplicate_content'] : []);

interface Put {
  readonly kind: Kind;
  readonly node: SoakNode;
  readonly name: string;
  readonly buf: Buffer;
  readonly sha: string;
  readonly expect: Expect;
  readonly headers?: Record<string, string>;
}

async function put(ctx: OpCtx, p: Put): Promise<void> {
  const url = `${fileUrl(p.node.url, p.name)}?waitMs=${WAIT_MS}`;
  const request = `PUT /files/${encodeName(p.name)} (${p.buf.length} B, sha256 ${p.sha.slice(0, 12)}…)`;
  const headers = { ...auth(ctx.token), 'Content-Type': 'application/octet-stream', 'Content-Length': String(p.buf.length), ...p.headers };
  const a = await send(ctx, p.kind, p.node, request, () => timed(url, { method: 'PUT', body: p.buf, agent: p.node.agent, keepBody: true, headers }));
  if (!a) return;
  count(ctx, { kind: p.kind, node: p.node, request }, a, p.expect);
  if (a.status === 200 || a.status === 201) confirmWrite(ctx, p, request, a, p.sha);
}

/** A 2xx write answer: the version it names must hold `expectedSha` (null: a delete marker). */
function confirmWrite(ctx: OpCtx, p: Pick<Put, 'kind' | 'node' | 'name'>, request: string, a: Timed, expectedSha: string | null): Written | undefined {
  const wrong = (answer: string): void => ctx.tally.wrongBytes(p.kind, { node: p.node.id, request, answer });
  const rec = parse(a.body);
  if (typeof rec?.version !== 'number') return void wrong(`${a.status} without a version: ${a.body?.toString().slice(0, 200)}`);
  const sha = rec.deleted === true ? null : rec.sha256;
  if (sha !== expectedSha) wrong(`v${rec.version} holds ${String(sha)}, the run sent ${String(expectedSha)}`);
  if (typeof sha !== 'string' && sha !== null) return rec;
  if (ctx.known.confirm(p.name, rec.version, sha) === 'conflict') {
    wrong(`history conflict: v${rec.version} confirmed as ${String(sha)}, earlier as ${String(ctx.known.version(p.name, rec.version))}`);
  }
  return rec;
}

/** PUT of new content. */
export async function write(ctx: OpCtx): Promise<void> {
  const name = anyName(ctx);
  const c = newContent(ctx, name);
  await put(ctx, { kind: 'write', node: anyNode(ctx), name, buf: c.buf, sha: c.sha, expect: { ok: ['201'], legit: ['423 locked', ...collisions(c.buf.length)] } });
}

/** PUT with If-Match on the head the run last confirmed (If-None-Match: * when it knows of none): 412 on a lost race. */
export async function writeIfMatch(ctx: OpCtx): Promise<void> {
  const name = anyName(ctx);
  const head = ctx.known.latest(name).fact;
  const c = newContent(ctx, name);
  const headers: Record<string, string> = typeof head === 'string' ? { 'If-Match': `"${head}"` } : { 'If-None-Match': '*' };
  const legit = ['412 precondition_failed', '423 locked', ...collisions(c.buf.length)];
  await put(ctx, { kind: 'write_if_match', node: anyNode(ctx), name, buf: c.buf, sha: c.sha, headers, expect: { ok: ['201'], legit } });
}

/** PUT of content already committed: DEDUP_POLICY=reject must refuse it (or answer unchanged: it is the head). */
export async function writeDuplicate(ctx: OpCtx): Promise<void> {
  const sha = ctx.known.pickCommitted(Math.random());
  const spec = sha ? ctx.known.spec(sha) : undefined;
  if (!sha || !spec) return write(ctx);
  const name = spec.text ? pick(ctx.textNames) : pick(ctx.binaryNames);
  const expect = { ok: ['409 duplicate_content', '200'], legit: ['423 locked'] };
  await put(ctx, { kind: 'write_duplicate', node: anyNode(ctx), name, buf: contentBytes(spec), sha, expect });
}

/** One writer per node on the same name at once, each waiting for the lock: all must commit, as distinct versions. */
export async function writeSameName(ctx: OpCtx): Promise<void> {
  const name = pick(ctx.binaryNames);
  await Promise.all(
    ctx.nodes.map((node) => {
      const c = newContent(ctx, name, COLLISION_FREE_BYTES);
      return put(ctx, { kind: 'write_same_name', node, name, buf: c.buf, sha: c.sha, expect: { ok: ['201'], legit: ['423 locked'] } });
    }),
  );
}

/** POST /files/{name}/revert to a live version the run confirmed: the new version must hold that content. */
export async function revert(ctx: OpCtx): Promise<void> {
  const name = anyName(ctx);
  const target = ctx.known.pickVersion(name, Math.random(), true);
  if (!target || target.fact === null) return write(ctx);
  const node = anyNode(ctx);
  const path = `/files/${encodeName(name)}/revert`;
  const request = `POST ${path} {"version":${target.version}}`;
  const body = Buffer.from(JSON.stringify({ version: target.version }));
  const headers = { ...auth(ctx.token), 'Content-Type': 'application/json', 'Content-Length': String(body.length) };
  const a = await send(ctx, 'revert', node, request, () => timed(`${node.url}${path}?waitMs=${WAIT_MS}`, { method: 'POST', body, agent: node.agent, keepBody: true, headers }));
  if (!a) return;
  count(ctx, { kind: 'revert', node, request }, a, { ok: ['201', '200'], legit: ['423 locked'] });
  if (a.status !== 201 && a.status !== 200) return;
  const rec = confirmWrite(ctx, { kind: 'revert', node, name }, request, a, target.fact);
  if (a.status === 201 && rec && rec.revertedFrom !== target.version) {
    ctx.tally.wrongBytes('revert', { node: node.id, request, answer: `revertedFrom ${String(rec.revertedFrom)}` });
  }
}

/** DELETE: a delete marker, or 404 when the file is already deleted (a race with another delete). */
export async function remove(ctx: OpCtx): Promise<void> {
  const name = anyName(ctx);
  const node = anyNode(ctx);
  const request = `DELETE /files/${encodeName(name)}`;
  const a = await send(ctx, 'delete', node, request, () => timed(`${fileUrl(node.url, name)}?waitMs=${WAIT_MS}`, { method: 'DELETE', agent: node.agent, keepBody: true, headers: auth(ctx.token) }));
  if (!a) return;
  count(ctx, { kind: 'delete', node, request }, a, { ok: ['200'], legit: ['404 file_deleted', '404 file_not_found', '423 locked'] });
  if (a.status === 200) confirmWrite(ctx, { kind: 'delete', node, name }, request, a, null);
}

function parse(body: Buffer | undefined): Written | undefined {
  try {
    return body ? (JSON.parse(body.toString('utf8')) as Written) : undefined;
  } catch {
    return undefined;
  }
}
