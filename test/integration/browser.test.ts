// A real browser (Debian's chromium, driven by playwright-core; scripts/test.sh installs it) on a page served from
// another origin: with that origin in CORS_ORIGINS its script reads a file and its ETag / X-Content-Version, a Range
// and its Content-Range, writes with the token (a preflighted PUT) and receives a change on /events. A page on an
// origin not in the list, same script, can read nothing and its write never reaches the node.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUrl, put, sha256 } from '../helpers/http.js';
import { startNode } from '../helpers/node.js';
import { TOKEN, auth } from '../helpers/nodeFixture.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';

const CHROMIUM = process.env.KUBECDN_CHROMIUM ?? '/usr/bin/chromium';
const PAGE_HTML = new URL('../fixtures/browserPage.html', import.meta.url);
const BODY = 'hello, browser world';

interface Seen {
  readonly error?: string;
  readonly status?: number;
  readonly text?: string;
  readonly [header: string]: unknown;
}
interface Report {
  readonly file: Seen;
  readonly range: Seen;
  readonly write: Seen;
  readonly missing: Seen;
  readonly events: { event: string; filename: string; version: number }[];
  readonly sseOpen: boolean;
  readonly sseErrors: number;
  readonly done: boolean;
}

/** Serves the page on a loopback port of its own: an origin that is not the node's. */
async function pageServer(html: string): Promise<{ origin: string; close: () => void }> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(html));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

let redis: TestRedis;
let node: Awaited<ReturnType<typeof startNode>>;
let browser: Browser;
const pages: { origin: string; close: () => void }[] = [];

beforeAll(async () => {
  const html = await readFile(PAGE_HTML, 'utf8');
  pages.push(await pageServer(html), await pageServer(html));
  redis = await startRedis();
  node = await startNode(redis.url, { WRITE_TOKEN: TOKEN, CORS_ORIGINS: pages[0]?.origin ?? '' });
  expect((await put(node.url, 'web/hello.txt', BODY, auth)).status).toBe(201);
  // root in this container: Chromium's sandbox needs a user namespace it may not get; the pages are our own, on loopback
  browser = await chromium.launch({ executablePath: CHROMIUM, chromiumSandbox: false });
});
afterAll(async () => {
  await browser?.close();
  await node?.close();
  await redis?.stop();
  for (const p of pages) p.close();
});

/** Opens the page of `origin` in a fresh browser context; report() reads what its script saw so far. */
async function openPage(origin: string, write: string): Promise<{ report: () => Promise<Report>; close: () => Promise<void> }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${origin}/?${new URLSearchParams({ node: node.url, token: TOKEN, write }).toString()}`);
  const report = (): Promise<Report> => page.evaluate<Report>('window.report');
  await waitFor(async () => (await report())?.done === true, 20_000, 'the page to finish its fetches');
  return { report, close: () => context.close() };
}

describe('a page on another origin, in a real Chromium', () => {
  it('in CORS_ORIGINS: reads a file with its ETag and X-Content-Version, a Range, writes, and follows /events', async () => {
    const page = await openPage(pages[0]?.origin ?? '', 'web/from-page.txt');
    try {
      const r = await page.report();
      expect(r.file).toEqual({ status: 200, text: BODY, ETag: `"${sha256(BODY)}"`, 'X-Content-Version': '1', 'Content-Length': String(BODY.length) });
      expect(r.range).toEqual({ status: 206, text: BODY.slice(7, 12), 'Content-Range': `bytes 7-11/${BODY.length}`, ETag: `"${sha256(BODY)}"` });
      expect(r.write).toEqual({
        status: 201,
        ETag: `"${sha256('written by a page')}"`,
        'X-Content-Version': '1',
        Location: '/files/web/from-page.txt?version=1',
      });
      expect(r.missing).toMatchObject({ status: 404, body: { error: { code: 'file_not_found' } } });
      await waitFor(async () => (await page.report()).sseOpen, 20_000, 'the EventSource to open');
      expect((await put(node.url, 'web/hello.txt', 'changed', auth)).status).toBe(201);
      await waitFor(
        async () => (await page.report()).events.some((e) => e.filename === 'web/hello.txt' && e.version === 2),
        20_000,
        'the page to receive the change',
      );
      expect((await page.report()).sseErrors).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('not in CORS_ORIGINS: the same script reads nothing, and its write never reaches the node', async () => {
    const page = await openPage(pages[1]?.origin ?? '', 'web/from-denied.txt');
    try {
      const r = await page.report();
      for (const step of [r.file, r.range, r.write, r.missing]) expect(step).toEqual({ error: 'TypeError: Failed to fetch' });
      await waitFor(async () => (await page.report()).sseErrors > 0, 20_000, 'the EventSource to fail');
      expect((await page.report()).sseOpen).toBe(false);
      expect((await fetch(fileUrl(node.url, 'web/from-denied.txt'))).status).toBe(404);
    } finally {
      await page.close();
    }
  });
});
