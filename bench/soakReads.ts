// The soak run's reads: the latest version, a version by number, a Range of one, a blob by digest, and the original
// mini-CDN's /read and /read_version. Each is counted and its bytes checked (soakCtx.ts).
import { contentBytes, sha256Of } from './soakContent.js';
import { anyName, anyNode, checkContent, count, encodeName, pick, send, type OpCtx } from './soakCtx.js';
import { errorCode, read } from './soakHttp.js';

const COMPAT_KEEP_BYTES = 4 * 1024 * 1024;

/**
 * GET /files/{name}. Besides the bytes, the documented read-after-write rule: a version the run had confirmed
 * before sending this read must not be newer than the one served ("stale").
 */
export async function readLatest(ctx: OpCtx): Promise<void> {
  const name = anyName(ctx);
  const node = anyNode(ctx);
  const before = ctx.known.latest(name);
  const path = `/files/${encodeName(name)}`;
  const a = await send(ctx, 'read_latest', node, `GET ${path}`, () => read(node.url + path, { agent: node.agent }));
  if (!a) return;
  const served = Number(a.headers['x-content-version'] ?? 0);
  const notFound = a.status === 404 && errorCode(a.body) === 'file_not_found';
  const stale = (a.status === 200 && served < before.version) || (notFound && before.version > 0);
  const request = `GET ${path} (confirmed before: v${before.version})`;
  count(ctx, { kind: 'read_latest', node, request }, a, { ok: ['200'], legit: ['404 file_deleted', '404 file_not_found'] }, stale ? 'stale' : undefined);
  if (a.status !== 200) return;
  const fact = ctx.known.version(name, served);
  checkContent(ctx, { kind: 'read_latest', node, request: `${request} served v${served}` }, a, fact ?? undefined);
}

/** GET /files/{name}?version=N of a version the run confirmed (a delete marker answers 404 file_deleted). */
export async function readVersion(ctx: OpCtx): Promise<void> {
  const name = anyName(ctx);
  const v = ctx.known.pickVersion(name, Math.random());
  if (!v) return readLatest(ctx);
  const node = anyNode(ctx);
  const path = `/files/${encodeName(name)}?version=${v.version}`;
  const a = await send(ctx, 'read_version', node, `GET ${path}`, () => read(node.url + path, { agent: node.agent }));
  if (!a) return;
  count(ctx, { kind: 'read_version', node, request: `GET ${path}` }, a, { ok: [v.fact === null ? '404 file_deleted' : '200'] });
  if (a.status === 200) checkContent(ctx, { kind: 'read_version', node, request: `GET ${path}` }, a, v.fact ?? undefined);
}

/** A random byte range: "a-b", "a-" or "-n". */
function pickRange(size: number): { header: string; start: number; end: number } {
  const start = Math.floor(Math.random() * size);
  const variant = Math.random();
  if (variant < 0.2) return { header: `bytes=${start}-`, start, end: size - 1 };
  if (variant < 0.4) return { header: `bytes=-${size - start}`, start, end: size - 1 };
  const end = Math.min(size - 1, start + Math.floor(Math.random() * 256 * 1024));
  return { header: `bytes=${start}-${end}`, start, end };
}

/** GET ?version=N with a Range: the slice is made again from the content's seed and compared. */
export async function readRange(ctx: OpCtx): Promise<void> {
  const name = anyName(ctx);
  const v = ctx.known.pickVersion(name, Math.random(), true);
  const spec = v?.fact ? ctx.known.spec(v.fact) : undefined;
  if (!v || !spec) return readVersion(ctx);
  const node = anyNode(ctx);
  const range = pickRange(spec.size);
  const path = `/files/${encodeName(name)}?version=${v.version}`;
  const request = `GET ${path} Range: ${range.header} (size ${spec.size})`;
  const a = await send(ctx, 'read_range', node, request, () => read(node.url + path, { agent: node.agent, headers: { Range: range.header } }));
  if (!a) return;
  const wanted = `bytes ${range.start}-${range.end}/${spec.size}`;
  const badRange = a.status === 206 && a.headers['content-range'] !== wanted ? `Content-Range ${a.headers['content-range']}` : undefined;
  count(ctx, { kind: 'read_range', node, request }, a, { ok: ['206'] }, badRange);
  if (a.status !== 206 || badRange) return;
  checkContent(ctx, { kind: 'read_range', node, request }, a, v.fact ?? undefined, sha256Of(contentBytes(spec, range.start, range.end + 1)));
}

/** GET /blobs/sha256/{hex} of committed content: the body must hash to the digest asked for. */
export async function readBlob(ctx: OpCtx): Promise<void> {
  const sha = ctx.known.pickCommitted(Math.random());
  if (!sha) return readLatest(ctx);
  const node = anyNode(ctx);
  const path = `/blobs/sha256/${sha}`;
  const a = await send(ctx, 'read_blob', node, `GET ${path}`, () => read(node.url + path, { agent: node.agent }));
  if (!a) return;
  count(ctx, { kind: 'read_blob', node, request: `GET ${path}` }, a, { ok: ['200'] });
  if (a.status === 200) checkContent(ctx, { kind: 'read_blob', node, request: `GET ${path}` }, a, sha, sha);
}

/** GET /read_version?file_name=&version= of a text file: the JSON content must be the text the run wrote. */
export async function compatReadVersion(ctx: OpCtx): Promise<void> {
  const name = pick(ctx.textNames);
  const v = ctx.known.pickVersion(name, Math.random());
  if (!v) return readLatest(ctx);
  const node = anyNode(ctx);
  const path = `/read_version?file_name=${encodeURIComponent(name)}&version=${v.version}`;
  const a = await send(ctx, 'compat_read_version', node, `GET ${path}`, () => read(node.url + path, { agent: node.agent, keepUpTo: COMPAT_KEEP_BYTES }));
  if (!a) return;
  count(ctx, { kind: 'compat_read_version', node, request: `GET ${path}` }, a, { ok: [v.fact === null ? '404 version_not_found' : '200'] });
  if (a.status !== 200 || v.fact === null) return;
  const wrong = (answer: string): void => ctx.tally.wrongBytes('compat_read_version', { node: node.id, request: `GET ${path}`, answer });
  const json = parseJson(a.body) as { version?: unknown; content?: unknown } | undefined;
  if (typeof json?.content !== 'string') return wrong('no "content" string in the answer');
  if (json.version !== v.version) return wrong(`"version": ${String(json.version)}, asked for ${v.version}`);
  const got = sha256Of(Buffer.from(json.content, 'utf8'));
  if (got !== v.fact) wrong(`content sha256 ${got} != the run's ${v.fact} for v${v.version}`);
}

/**
 * GET /read: every text file in it must hold text the run wrote (not necessarily the newest: writes race with it).
 * Binary files also appear, decoded as UTF-8 by the route, so they cannot be checked.
 */
export async function compatRead(ctx: OpCtx): Promise<void> {
  const node = anyNode(ctx);
  const a = await send(ctx, 'compat_read', node, 'GET /read', () => read(`${node.url}/read`, { agent: node.agent, keepUpTo: COMPAT_KEEP_BYTES }));
  if (!a) return;
  count(ctx, { kind: 'compat_read', node, request: 'GET /read' }, a, { ok: ['200'] });
  if (a.status !== 200) return;
  const json = parseJson(a.body);
  if (typeof json !== 'object' || json === null) return ctx.tally.wrongBytes('compat_read', { node: node.id, request: 'GET /read', answer: 'not a JSON object' });
  for (const [name, content] of Object.entries(json as Record<string, unknown>)) {
    if (!ctx.textNames.includes(name)) continue;
    const sha = typeof content === 'string' ? sha256Of(Buffer.from(content, 'utf8')) : '';
    if (ctx.known.wrote(sha)) continue;
    if (ctx.known.forgotten > 0) ctx.tally.unverified();
    else ctx.tally.wrongBytes('compat_read', { node: node.id, request: 'GET /read', answer: `"${name}": content (sha256 ${sha}) the run never wrote` });
  }
}

function parseJson(body: Buffer | undefined): unknown {
  try {
    return body ? (JSON.parse(body.toString('utf8')) as unknown) : undefined;
  } catch {
    return undefined;
  }
}
