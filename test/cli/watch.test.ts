// `kubecdn watch` as a child process: events written by other processes arrive, a node restart is survived without
// losing what happened meanwhile, Redis Pub/Sub works directly, and Ctrl-C stops it cleanly.
import fs from 'node:fs/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { put } from '../helpers/http.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';
import { cli, nodeAt, requireBuiltCli, startCli, waitFor, type CliProcess, type FixedNode } from './harness.js';

interface Event {
  event: string;
  filename: string;
  version: number;
  id: string;
  sha256: string | null;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

beforeAll(() => requireBuiltCli());

async function redisServer(): Promise<TestRedis> {
  const r = await startRedis();
  cleanups.push(() => r.stop());
  return r;
}

async function node(redisUrl: string, opts: Parameters<typeof nodeAt>[1] = {}): Promise<FixedNode> {
  const n = await nodeAt(redisUrl, opts);
  cleanups.push(async () => {
    await n.stop();
    await fs.rm(n.dataDir, { recursive: true, force: true });
  });
  return n;
}

function watch(args: string[], env: Record<string, string>): CliProcess {
  const w = startCli(['watch', ...args], { env });
  cleanups.push(async () => {
    if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    await w.exited;
  });
  return w;
}

const waitLines = (w: CliProcess, n: number): Promise<void> =>
  waitFor(() => w.lines().length >= n, 30_000, `${n} lines from watch (stdout: ${w.stdout()}; stderr: ${w.stderr()})`);
const waitStderr = (w: CliProcess, text: string): Promise<void> =>
  waitFor(() => w.stderr().includes(text), 30_000, `"${text}" from watch (stderr: ${w.stderr()})`);

async function mustPut(base: string, name: string, body: string): Promise<void> {
  const res = await put(base, name, body);
  expect(res.status).toBe(201);
}

describe('watch (node /events)', () => {
  it('prints an event written by another process, as JSON with --json and as a line without', async () => {
    const r = await redisServer();
    const n = await node(r.url);
    const json = watch(['--json', '--count', '1'], { KUBECDN_URL: n.url });
    const human = watch(['--count', '1'], { KUBECDN_URL: n.url });
    await waitStderr(json, 'connected to');
    await waitStderr(human, 'connected to');
    await mustPut(n.url, 'watched/a.txt', 'hello watchers');

    const j = await json.exited;
    expect(j.code).toBe(0);
    const lines = j.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const ev = JSON.parse(lines[0] ?? '') as Event;
    expect(ev).toMatchObject({ event: 'file_added', filename: 'watched/a.txt', version: 1 });
    expect(ev.id).toMatch(/^\d+-\d+$/);

    const h = await human.exited;
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/file_added\s+watched\/a\.txt\s+v1/);
    expect(h.stdout).toContain(`[${ev.id}]`);
  });

  it('resumes after the node restarts, without missing the event written while it was down', async () => {
    const r = await redisServer();
    const a = await node(r.url);
    const b = await node(r.url); // writes while `a` is down go through `b`, to the same Redis
    // --from 0 on a fresh Redis: the whole history, so the expected sequence is exact.
    const w = watch(['--from', '0', '--count', '3', '--json'], { KUBECDN_URL: a.url });
    await mustPut(a.url, 'restart/1-before.txt', 'before the restart');
    await waitLines(w, 1);

    await a.stop();
    await waitStderr(w, 'reconnecting');
    await mustPut(b.url, 'restart/2-while-down.txt', 'written while the watched node was down');
    const again = await node(r.url, { port: a.port, dataDir: a.dataDir });
    await waitStderr(w, 'resuming after');
    await mustPut(again.url, 'restart/3-after.txt', 'after the restart');

    await waitLines(w, 3);
    const res = await w.exited;
    expect(res.code).toBe(0);
    const events = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Event);
    expect(events.map((e) => e.filename)).toEqual(['restart/1-before.txt', 'restart/2-while-down.txt', 'restart/3-after.txt']);
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
    expect(res.stderr).toContain(`resuming after ${events[0]?.id}`);
  });

  it('--from ID starts right after that event', async () => {
    const r = await redisServer();
    const n = await node(r.url);
    await mustPut(n.url, 'from/1.txt', 'one');
    await mustPut(n.url, 'from/2.txt', 'two');
    await mustPut(n.url, 'from/3.txt', 'three');
    const all = await cli(['watch', '--from', '0', '--count', '3', '--json'], { env: { KUBECDN_URL: n.url } });
    const ids = all.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Event);
    expect(ids.map((e) => e.filename)).toEqual(['from/1.txt', 'from/2.txt', 'from/3.txt']);
    const after = await cli(['watch', '--from', ids[0]?.id ?? '', '--count', '2', '--json'], { env: { KUBECDN_URL: n.url } });
    expect(after.code).toBe(0);
    expect(after.stdout.trim().split('\n').map((l) => (JSON.parse(l) as Event).filename)).toEqual(['from/2.txt', 'from/3.txt']);
  });

  it('stops cleanly with exit 0 on SIGINT', async () => {
    const r = await redisServer();
    const n = await node(r.url);
    const w = watch([], { KUBECDN_URL: n.url });
    await waitStderr(w, 'connected to');
    w.proc.kill('SIGINT');
    const res = await w.exited;
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('');
  });

  it('exits 5 naming the URL when the node cannot be reached at start', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const res = await cli(['watch', '--count', '1'], { env: { KUBECDN_URL: url } });
    expect(res.code).toBe(5);
    expect(res.stderr).toContain(`${url}/events`);
  });
});

describe('watch --redis', () => {
  it('receives notifications from the file_notifications channel directly', async () => {
    const r = await redisServer();
    const n = await node(r.url);
    const json = watch(['--redis', r.url, '--count', '2', '--json'], {});
    await waitStderr(json, 'subscribed to file_notifications');
    await mustPut(n.url, 'pubsub/a.txt', 'via redis');
    // Another publisher on the shared channel (the original clients' style): shown as it came.
    await r.client().publish('file_notifications', 'plain text from someone else');
    const res = await json.exited;
    expect(res.code).toBe(0);
    const [first, second] = res.stdout.trim().split('\n');
    expect(JSON.parse(first ?? '')).toMatchObject({ event: 'file_added', filename: 'pubsub/a.txt', version: 1 });
    expect(second).toBe('plain text from someone else');
  });

  it('exits 5 when Redis cannot be reached, and refuses --from (Pub/Sub has no history)', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const res = await cli(['watch', '--redis', url, '--count', '1']);
    expect(res.code).toBe(5);
    expect(res.stderr).toContain(`Cannot reach Redis at ${url}`);
    expect((await cli(['watch', '--redis', url, '--from', '0'])).code).toBe(1);
  });
});
