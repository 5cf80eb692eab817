// sync, put -r and get -r: the real CLI against real nodes and real Redis, on a generated tree of a few hundred
// files; the server's state is read back over HTTP afterwards (names, digests, delete markers, version counts).
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startWorld, type CliWorld, type FixedNode } from './harness.js';

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

interface PushJson {
  dryRun: boolean;
  uploaded: Array<{ name: string; reason: string; version?: number; deduplicated?: boolean }>;
  unchanged: string[];
  duplicates: Array<{ name: string; action: string; sameAs: string | null }>;
  deleted: Array<{ name: string; version?: number }>;
  failed: unknown[];
}

let world: CliWorld;
let node: FixedNode;
let work: string;
let env: Record<string, string>;

beforeAll(async () => {
  world = await startWorld();
  ({ node, work, env } = world);
});

afterAll(async () => world?.stop());

async function write(root: string, rel: string, content: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await fs.writeFile(path.join(root, rel), content);
}

/** rel -> sha256 of every regular file under root */
async function tree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    out.set(path.relative(root, full).split(path.sep).join('/'), sha256(await fs.readFile(full)));
  }
  return out;
}

/** The server's live files under a prefix: name -> sha256, every page. */
async function live(base: string, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({ prefix, limit: '1000', ...(cursor === null ? {} : { cursor }) });
    const page = (await (await fetch(`${base}/files?${q.toString()}`)).json()) as { files: Array<{ name: string; sha256: string }>; nextCursor: string | null };
    for (const f of page.files) out.set(f.name, f.sha256);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

async function history(base: string, name: string): Promise<{ count: number; head: { deleted: boolean; deduplicated: boolean; sha256: string | null } }> {
  const res = await fetch(`${base}/files/${name}/versions?limit=1`);
  expect(res.status, name).toBe(200);
  const body = (await res.json()) as { count: number; versions: Array<{ deleted: boolean; deduplicated: boolean; sha256: string | null }> };
  return { count: body.count, head: body.versions[0]! };
}

const prefixed = (prefix: string, m: Map<string, string>): Map<string, string> => new Map([...m].map(([k, v]) => [prefix + k, v]));
const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

async function sync(args: string[]): Promise<PushJson> {
  const res = await cli(['sync', ...args, '--json'], { env });
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  return JSON.parse(res.stdout) as PushJson;
}

describe('sync of a tree of a few hundred files', () => {
  const N = 300;
  let src: string;
  const rel = (i: number): string => `d${i % 7}/s${i % 3}/f${i}.txt`;

  beforeAll(async () => {
    src = path.join(work, 'src');
    for (let i = 0; i < N; i++) await write(src, rel(i), `file ${i} ${randomBytes(8).toString('hex')}\n`);
    await write(src, 'empty-a', '');
    await write(src, '.hidden/conf', 'dot files go too\n');
    await write(src, 'd0/scratch.tmp', 'never synced\n');
  });

  it('uploads everything once, then only the changes; deletes, duplicates, filters and dry runs leave the exact state', async () => {
    // a live file the filters leave out: --delete must not touch it
    const kept = await cli(['put', 'site/d0/kept.tmp', '-'], { env, stdin: 'remote only\n' });
    expect(kept.code).toBe(0);

    const first = await sync([src, 'site', '--exclude', '*.tmp', '--parallel', '6']);
    const local1 = new Map([...(await tree(src))].filter(([k]) => !k.endsWith('.tmp')));
    expect(first.uploaded.length).toBe(N + 2);
    expect(first.unchanged).toEqual([]);
    expect(first.uploaded.every((u) => u.reason === 'new' && u.version === 1)).toBe(true);
    expect(await live(node.url, 'site/')).toEqual(new Map([...prefixed('site/', local1), ['site/d0/kept.tmp', sha256('remote only\n')]]));

    // changes: 20 modified, 15 deleted, 10 added, 5 new names holding content stored under other names
    const modified = Array.from({ length: 20 }, (_, k) => rel(k * 7));
    const removed = Array.from({ length: 15 }, (_, k) => rel(k * 7 + 1));
    const added = Array.from({ length: 10 }, (_, k) => `new/n${k}/added${k}.txt`);
    const dups = Array.from({ length: 5 }, (_, k) => ({ name: `dups/copy${k}.txt`, of: rel(k * 7 + 2) }));
    for (const m of modified) await write(src, m, `changed ${m} ${randomBytes(4).toString('hex')}\n`);
    for (const r of removed) await fs.rm(path.join(src, r));
    for (const a of added) await write(src, a, `added ${a}\n`);
    for (const d of dups) await fs.copyFile(path.join(src, d.of), path.join(await mkdirp(src, d.name), path.basename(d.name)));
    const before = await live(node.url, 'site/');

    const dry = await sync([src, 'site/', '--delete', '--exclude', '*.tmp', '--dry-run']);
    expect(dry.dryRun).toBe(true);
    expect(sorted(dry.uploaded.map((u) => u.name))).toEqual(sorted([...modified, ...added, ...dups.map((d) => d.name)].map((n) => `site/${n}`)));
    expect(sorted(dry.deleted.map((d) => d.name))).toEqual(sorted(removed.map((n) => `site/${n}`)));
    expect(await live(node.url, 'site/')).toEqual(before); // the dry run changed nothing
    expect((await history(node.url, `site/${modified[0]}`)).count).toBe(1);

    const second = await sync([src, 'site/', '--delete', '--exclude', '*.tmp']);
    // only the changes went: the 20 changed and the 10 new; the duplicates were refused (DEDUP_POLICY=reject) without failing
    expect(sorted(second.uploaded.map((u) => u.name))).toEqual(sorted([...modified, ...added].map((n) => `site/${n}`)));
    expect(second.unchanged.length).toBe(N + 2 - 20 - 15);
    expect(sorted(second.duplicates.map((d) => `${d.name}=${d.action}:${d.sameAs}`))).toEqual(
      sorted(dups.map((d) => `site/${d.name}=refused:site/${d.of}`)),
    );
    expect(sorted(second.deleted.map((d) => d.name))).toEqual(sorted(removed.map((n) => `site/${n}`)));
    expect(second.failed).toEqual([]);

    // the exact server state
    const local2 = new Map([...(await tree(src))].filter(([k]) => !k.endsWith('.tmp') && !k.startsWith('dups/')));
    expect(await live(node.url, 'site/')).toEqual(new Map([...prefixed('site/', local2), ['site/d0/kept.tmp', sha256('remote only\n')]]));
    for (const r of removed) expect(await history(node.url, `site/${r}`)).toMatchObject({ count: 2, head: { deleted: true, sha256: null } });
    for (const m of modified) expect((await history(node.url, `site/${m}`)).count).toBe(2);
    for (const name of second.unchanged) expect((await history(node.url, name)).count, name).toBe(1);
    for (const d of dups) expect((await fetch(`${node.url}/files/site/${d.name}/versions`)).status).toBe(404);

    // again with --on-duplicate skip: nothing to do, the duplicates are found stored (HEAD /blobs) and skipped
    const third = await sync([src, 'site/', '--delete', '--exclude', '*.tmp', '--on-duplicate', 'skip']);
    expect(third.uploaded).toEqual([]);
    expect(third.deleted).toEqual([]);
    expect(sorted(third.duplicates.map((d) => `${d.name}=${d.action}`))).toEqual(sorted(dups.map((d) => `site/${d.name}=skipped`)));
    expect(third.unchanged.length).toBe(local2.size);
  });

  it('get -r reproduces the tree byte for byte, then only fetches what differs', async () => {
    const out = path.join(work, 'out');
    const res = await cli(['get', '-r', 'site/', out, '--json', '--exclude', '*.tmp'], { env });
    expect(res.code, res.stderr).toBe(0);
    const got = JSON.parse(res.stdout) as { downloaded: string[]; unchanged: string[] };
    const expected = new Map([...(await tree(src))].filter(([k]) => !k.endsWith('.tmp') && !k.startsWith('dups/')));
    expect(await tree(out)).toEqual(expected);
    expect(got.downloaded.length).toBe(expected.size);

    await fs.writeFile(path.join(out, 'd4/s1/f25.txt'), 'local edit\n');
    const again = JSON.parse((await cli(['get', '-r', 'site', out, '--json', '--exclude', '*.tmp'], { env })).stdout) as { downloaded: string[]; unchanged: string[] };
    expect(again.downloaded).toEqual(['site/d4/s1/f25.txt']);
    expect(again.unchanged.length).toBe(expected.size - 1);
    expect(await tree(out)).toEqual(expected);
    expect((await fs.readdir(out, { recursive: true })).filter((f) => f.endsWith('.kubecdn-part'))).toEqual([]);
  });

  it('put -r uploads a tree once, --include narrows it, and a second run writes nothing', async () => {
    const src2 = path.join(work, 'src2');
    for (let i = 0; i < 40; i++) await write(src2, `${i % 2 === 0 ? 'a' : 'b'}/x${i}.bin`, randomBytes(64 + i));
    const one = await cli(['put', '-r', 'copy/', src2, '--include', 'a/**', '--json'], { env });
    expect(one.code, one.stderr).toBe(0);
    const j1 = JSON.parse(one.stdout) as PushJson;
    const onlyA = new Map([...(await tree(src2))].filter(([k]) => k.startsWith('a/')));
    expect(onlyA.size).toBe(20);
    expect(sorted(j1.uploaded.map((u) => u.name))).toEqual(sorted([...onlyA.keys()].map((k) => `copy/${k}`)));
    expect(await live(node.url, 'copy/')).toEqual(prefixed('copy/', onlyA));
    const two = JSON.parse((await cli(['put', '-r', 'copy', src2, '--include', 'a/**', '--json'], { env })).stdout) as PushJson;
    expect(two.uploaded).toEqual([]);
    expect(two.unchanged.length).toBe(20);
  });
});

describe('sync against a node with DEDUP_POLICY=link', () => {
  let linked: CliWorld;
  let linkNode: FixedNode;
  beforeAll(async () => {
    linked = await startWorld({ DEDUP_POLICY: 'link' });
    linkNode = linked.node;
  });
  afterAll(async () => linked?.stop());

  it('--on-duplicate link writes the duplicate names (stored once); skip creates none', async () => {
    const dir = path.join(work, 'linked');
    await write(dir, 'one.txt', 'same bytes\n');
    await write(dir, 'sub/two.txt', 'same bytes\n');
    await write(dir, 'three.txt', 'other bytes\n');
    const first = await cli(['sync', dir, 'l/', '--json', '--parallel', '1'], { env: { KUBECDN_URL: linkNode.url } });
    expect(first.code, first.stderr).toBe(0);
    const j = JSON.parse(first.stdout) as PushJson;
    expect(j.uploaded.map((u) => u.name).sort()).toEqual(['l/one.txt', 'l/sub/two.txt', 'l/three.txt']);
    expect(j.uploaded.filter((u) => u.deduplicated).map((u) => u.name)).toEqual(['l/sub/two.txt']);
    expect(await live(linkNode.url, 'l/')).toEqual(prefixed('l/', await tree(dir)));
    expect((await history(linkNode.url, 'l/sub/two.txt')).head.deduplicated).toBe(true);

    const skipped = await cli(['sync', dir, 's/', '--json', '--on-duplicate', 'skip'], { env: { KUBECDN_URL: linkNode.url } });
    expect(skipped.code, skipped.stderr).toBe(0);
    const k = JSON.parse(skipped.stdout) as PushJson;
    expect(k.uploaded).toEqual([]);
    expect(k.duplicates.map((d) => `${d.name}:${d.action}`).sort()).toEqual(['s/one.txt:skipped', 's/sub/two.txt:skipped', 's/three.txt:skipped']);
    expect((await live(linkNode.url, 's/')).size).toBe(0);
  });
});

async function mkdirp(root: string, rel: string): Promise<string> {
  const dir = path.join(root, path.dirname(rel));
  await fs.mkdir(dir, { recursive: true });
  return dir;
}
