// Versions, revert and delete markers, and the listing of live names, against a real node and Redis. Every test
// writes its own names (and bodies: the default dedupe policy refuses the same bytes under a second name).
import { describe, expect, it } from 'vitest';
import { keys } from '../../node/src/metadata/keys.js';
import { fileUrl, json, put, sha256 } from '../helpers/http.js';
import { auth, nodeFixture } from '../helpers/nodeFixture.js';

const fx = nodeFixture({ CACHE_CONTROL_LATEST: 'public, max-age=7' });

/** Writes each body as the next version of `name`. */
async function seed(name: string, bodies: string[]): Promise<void> {
  for (const body of bodies) expect((await put(fx.node.url, name, body, auth)).status).toBe(201);
}

const revert = (name: string, version: number): Promise<Response> =>
  fetch(`${fileUrl(fx.node.url, name)}/revert`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ version }),
  });

describe('versions, revert and delete markers', () => {
  it('keeps every version readable, newest first, with timestamps', async () => {
    await seed('v/history.txt', ['one', 'two', 'three']);
    const latest = await fetch(fileUrl(fx.node.url, 'v/history.txt'));
    expect(await latest.text()).toBe('three');
    expect(latest.headers.get('x-content-version')).toBe('3');
    expect(latest.headers.get('cache-control')).toBe('public, max-age=7');
    const v1 = await fetch(`${fileUrl(fx.node.url, 'v/history.txt')}?version=1`);
    expect(await v1.text()).toBe('one');
    expect(v1.headers.get('cache-control')).toContain('immutable');
    const hist = await json<{ count: number; versions: { version: number; createdAt: string }[]; nextCursor: string | null }>(
      await fetch(`${fileUrl(fx.node.url, 'v/history.txt')}/versions?limit=2`),
    );
    expect(hist.count).toBe(3);
    expect(hist.versions.map((v) => v.version)).toEqual([3, 2]);
    expect(Number.isNaN(Date.parse(hist.versions[0]!.createdAt))).toBe(false);
    expect(hist.nextCursor).toBe('2');
    const page2 = await json<{ versions: { version: number }[]; nextCursor: null }>(
      await fetch(`${fileUrl(fx.node.url, 'v/history.txt')}/versions?limit=2&cursor=2`),
    );
    expect(page2.versions.map((v) => v.version)).toEqual([1]);
    expect(page2.nextCursor).toBeNull();
  });

  it('revert makes a new version with the old content; history is never rewritten', async () => {
    await seed('v/revert.txt', ['revert one', 'revert two', 'revert three']);
    const res = await revert('v/revert.txt', 1);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ version: 4, revertedFrom: 1, sha256: sha256('revert one'), event: 'file_reverted' });
    expect(await (await fetch(fileUrl(fx.node.url, 'v/revert.txt'))).text()).toBe('revert one');
    expect(await (await fetch(`${fileUrl(fx.node.url, 'v/revert.txt')}?version=3`)).text()).toBe('revert three');
  });

  it('delete leaves a marker: latest is 404 file_deleted, old versions stay, revert restores', async () => {
    await seed('v/delete.txt', ['delete one', 'delete two']);
    const del = await fetch(fileUrl(fx.node.url, 'v/delete.txt'), { method: 'DELETE', headers: auth });
    expect(del.status).toBe(200);
    expect(await del.json()).toMatchObject({ version: 3, deleted: true });
    const gone = await fetch(fileUrl(fx.node.url, 'v/delete.txt'));
    expect(gone.status).toBe(404);
    expect((await json<{ error: { code: string } }>(gone)).error.code).toBe('file_deleted');
    expect(await (await fetch(`${fileUrl(fx.node.url, 'v/delete.txt')}?version=1`)).text()).toBe('delete one');
    const marker = await fetch(`${fileUrl(fx.node.url, 'v/delete.txt')}?version=3`);
    expect(marker.status).toBe(404);
    const listing = await json<{ files: { name: string }[] }>(await fetch(`${fx.node.url}/files?prefix=v/`));
    expect(listing.files.map((f) => f.name)).not.toContain('v/delete.txt');
    const again = await fetch(fileUrl(fx.node.url, 'v/delete.txt'), { method: 'DELETE', headers: auth });
    expect(again.status).toBe(404);
    expect((await revert('v/delete.txt', 2)).status).toBe(201);
    expect(await (await fetch(fileUrl(fx.node.url, 'v/delete.txt'))).text()).toBe('delete two');
    const toMarker = await revert('v/delete.txt', 3);
    expect(toMarker.status).toBe(409);
  });

  it('the same bytes as the head change nothing', async () => {
    await seed('v/same.txt', ['same first', 'same second']);
    const res = await put(fx.node.url, 'v/same.txt', 'same second', auth);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ unchanged: true, version: 2 });
  });
});

describe('listing', () => {
  it('pages through names in order with a cursor', async () => {
    for (let i = 0; i < 7; i++) await put(fx.node.url, `list/item-${i}`, `item ${i}`, auth);
    await put(fx.node.url, 'listing-other', 'not in the prefix', auth);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `${fx.node.url}/files?prefix=list/&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await json<{ files: { name: string; version: number }[]; nextCursor: string | null }>(await fetch(q));
      expect(page.files.length).toBeLessThanOrEqual(3);
      seen.push(...page.files.map((f) => f.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `list/item-${i}`));
  });

  it('a page whose names all went from the listing meanwhile still leads to the next page', async () => {
    // Names in the listing whose heads are not live by the time the page reads them (a delete between the two
    // reads): planted straight into Redis, sorted before a real file. The cursor is the last name scanned.
    const redis = fx.redis.client();
    for (let i = 0; i < 4; i++) await redis.zadd(keys.files, 0, `gone/a-${i}`);
    await put(fx.node.url, 'gone/z-real', 'still here', auth);
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const q: string = `${fx.node.url}/files?prefix=gone/&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await json<{ files: { name: string }[]; nextCursor: string | null }>(await fetch(q));
      pages.push(page.files.map((f) => f.name));
      cursor = page.nextCursor;
    } while (cursor && pages.length < 10);
    expect(pages).toEqual([[], ['gone/z-real']]);
  });
});
