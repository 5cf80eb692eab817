// Every route of a real node process × hostile inputs: each answer is a catalogue 4xx (or the route's normal 2xx),
// never a 5xx, and the process is still alive afterwards. Requests go out through node:http with the raw path, so
// "%2e%2e" reaches the node as sent (fetch would normalise it to ".."). The second part speaks raw HTTP on a socket
// for what Node's own parser rejects before any route runs.
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from '../../node/src/errors.js';
import { spawnNode, type ChildNode } from '../helpers/node.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const TOKEN = 'route-table-token';
const SECRET = 'route-table-secret';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const PEER = { 'X-Cluster-Secret': SECRET };
const HEX = 'a'.repeat(64);

let redis: TestRedis;
let node: ChildNode;

beforeAll(async () => {
  redis = await startRedis();
  node = await spawnNode(redis.url, {
    NODE_ID: 'route-table',
    WRITE_TOKEN: TOKEN,
    CLUSTER_SECRET: SECRET,
    LOCK_WAIT_MS: '0',
    JSON_BODY_MAX_BYTES: '65536',
    HEADERS_TIMEOUT_MS: '500',
    IDLE_TIMEOUT_MS: '5000',
  });
});
afterAll(async () => {
  await node?.stop();
  await redis?.stop();
});

interface Req {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}
interface Answer {
  status: number;
  body: string;
  contentType: string;
}

/** One request on its own connection. A non-error answer is not read (an event stream never ends). */
function call(r: Req): Promise<Answer> {
  const { port } = new URL(node.url);
  return new Promise((resolve, reject) => {
    // node:http sends a HEAD or DELETE body without Content-Length (the node would read it as the next request)
    const length = r.body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(r.body)) };
    const headers = { ...length, ...r.headers };
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers, agent: false });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const contentType = res.headers['content-type'] ?? '';
      if (status < 400) {
        res.destroy();
        req.destroy();
        return resolve({ status, body: '', contentType });
      }
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status, body, contentType }));
      res.on('error', reject);
    });
    req.end(r.body);
  });
}

/** Why this answer breaks the contract, or undefined when it keeps it. */
function breach(r: Req & { mustFail: boolean }, a: Answer): string | undefined {
  if (a.status >= 500) return `${a.status} ${a.body}`;
  if (a.status < 400) return r.mustFail ? `expected a 4xx, got ${a.status}` : undefined;
  if (r.method === 'HEAD') return undefined; // no body to check
  let code: unknown;
  try {
    code = (JSON.parse(a.body) as { error?: { code?: unknown } }).error?.code;
  } catch {
    return `${a.status} without a JSON body: ${a.body.slice(0, 100)}`;
  }
  const entry = typeof code === 'string' ? catalogue[code as keyof typeof catalogue] : undefined;
  if (!entry) return `${a.status} with unknown code ${String(code)}`;
  return entry.status === a.status ? undefined : `${a.status} but ${String(code)} is ${entry.status}`;
}

// Names as they appear in the URL path. The good one reaches the deeper code with the hostile query and body.
const GOOD = 'ok.txt';
const BAD_NAMES = ['%2e%2e', 'a%00b', '', 'n'.repeat(5000), '%ZZ', 'a%2F..%2Fb', 'a//b', '%FF%FE'];
const BAD_HEXES = ['%ZZ', 'abc', 'g'.repeat(64), 'a'.repeat(5000), '%2e%2e', '', 'A'.repeat(64)];
const BODIES: (string | undefined)[] = [undefined, '{"ttlMs":1000,"version":1}', 'not json', '[1]', 'null', '['.repeat(5000)];
const QUERIES = [
  '?version=0',
  '?version=-1',
  '?version=abc',
  '?version=99999999999999999999',
  '?version=1&version=2',
  '?version[]=1',
  '?a[]=1&a[]=2',
  '?waitMs=-1',
  '?waitMs=abc',
  '?waitMs=99999999',
  '?waitMs=1&waitMs=2',
  '?limit=0',
  '?limit=1&limit=2',
  '?cursor=x',
  '?prefix=%00',
  '?from=x&from=y',
  '?file_name=%2e%2e&version=x',
  '?filename=a%00b',
  '?%ZZ=%ZZ',
];

// [method, path template]; {n} is a file name, {h} a digest.
const NAME_ROUTES: [string, string][] = [
  ['GET', '/files/{n}'],
  ['HEAD', '/files/{n}'],
  ['PUT', '/files/{n}'],
  ['DELETE', '/files/{n}'],
  ['POST', '/files/{n}'],
  ['GET', '/files/{n}/versions'],
  ['POST', '/files/{n}/versions'],
  ['POST', '/files/{n}/revert'],
  ['GET', '/files/{n}/revert'],
  ['GET', '/locks/{n}'],
  ['POST', '/locks/{n}'],
  ['DELETE', '/locks/{n}'],
  ['PUT', '/locks/{n}'],
  ['POST', '/locks/{n}/refresh'],
  ['GET', '/locks/{n}/refresh'],
];
const HEX_ROUTES: [string, string][] = [
  ['GET', '/blobs/sha256/{h}'],
  ['HEAD', '/blobs/sha256/{h}'],
  ['GET', '/internal/blobs/{h}'],
  ['HEAD', '/internal/blobs/{h}'],
  ['PUT', '/internal/blobs/{h}'],
];
const PLAIN_ROUTES: [string, string][] = [
  ['GET', '/files'],
  ['POST', '/write'],
  ['GET', '/read'],
  ['GET', '/read_version'],
  ['GET', '/get_file'],
  ['POST', '/add_file'],
  ['GET', '/events'],
  ['GET', '/healthz'],
  ['GET', '/readyz'],
  ['GET', '/metrics'],
  ['GET', '/cluster'],
  ['POST', '/internal/ra/request'],
  ['POST', '/internal/ra/%ZZ'],
  ['POST', '/internal/invalidate'],
  ['POST', '/internal/inventory'],
  ['GET', '/internal/nope'],
  ['GET', '/%ZZ'],
];

type Case = Req & { mustFail: boolean };

const withBody = (method: string, path: string, body: string | undefined, mustFail: boolean): Case => ({
  method,
  path,
  mustFail,
  headers: { ...AUTH, ...PEER, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
  body,
});

const fill = (tpl: string, value: string): string => tpl.replace(/\{[nh]\}/, value);

/** Every [method, template] × every value (a bad one must fail) × bodies, plus the good value × hostile queries. */
function matrix(routes: [string, string][], bad: string[], good: string, bodies: (string | undefined)[]): Case[] {
  return routes.flatMap(([method, tpl]) => [
    ...bad.flatMap((v) => bodies.map((b) => withBody(method, fill(tpl, v), b, true))),
    ...QUERIES.flatMap((q) => [undefined, BODIES[1]].map((b) => withBody(method, fill(tpl, good) + q, b, false))),
  ]);
}

function cases(): Case[] {
  return [
    ...matrix(NAME_ROUTES, BAD_NAMES, GOOD, BODIES),
    ...matrix(HEX_ROUTES, BAD_HEXES, HEX, [undefined, 'x']),
    ...matrix(PLAIN_ROUTES, [''], '', BODIES).map((c) => ({ ...c, mustFail: false })),
  ];
}

/** The same requests without credentials: write routes say 401, peer routes 403, never anything else bad. */
function anonymous(all: Case[]): Case[] {
  return all.filter((_, i) => i % 7 === 0).map((c) => ({ ...c, headers: { 'Content-Type': 'application/json' } }));
}

/**
 * A Content-Length over the limit with a tiny body: refused from the header, not waited for. Far over every limit
 * (MAX_UPLOAD_BYTES) on any route, and just over the JSON limits (16 KiB locks, 64 KiB here) on the JSON routes.
 */
function hugeLength(): Case[] {
  const over = (method: string, path: string, length: number): Case => ({
    method,
    path,
    mustFail: true,
    headers: { ...AUTH, ...PEER, 'Content-Type': 'application/json', 'Content-Length': String(length) },
    body: '{}',
  });
  const any: [string, string][] = [
    ['PUT', `/files/${GOOD}`],
    ['POST', `/files/${GOOD}/revert`],
    ['POST', `/locks/${GOOD}`],
    ['POST', '/locks/'],
    ['POST', '/write'],
    ['POST', '/add_file'],
    ['PUT', `/internal/blobs/${HEX}`],
    ['POST', '/internal/invalidate'],
    ['POST', '/internal/inventory'],
    ['GET', '/healthz'],
  ];
  const json: [string, string][] = [
    ['POST', `/files/${GOOD}/revert`],
    ['POST', `/locks/${GOOD}`],
    ['POST', `/locks/${GOOD}/refresh`],
    ['DELETE', `/locks/${GOOD}`],
  ];
  return [...any.map(([m, p]) => over(m, p, 999_999_999_999)), ...json.map(([m, p]) => over(m, p, 70_000))];
}

async function runAll(list: Case[], parallel = 8): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < list.length) {
      const c = list[next++]!;
      const label = `${c.method} ${c.path.slice(0, 80)} body=${(c.body ?? '-').slice(0, 20)}`;
      try {
        const why = breach(c, await call(c));
        if (why) failures.push(`${label}: ${why}`);
      } catch (err) {
        failures.push(`${label}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return failures;
}

describe('every route against hostile input (a real node process)', () => {
  it('the lock routes answer 400 invalid_name for a bad name with a body (once killed the process)', async () => {
    for (const r of [
      { method: 'POST', path: '/locks/' },
      { method: 'POST', path: '/locks/%2e%2e' },
      { method: 'DELETE', path: '/locks/a%00b' },
    ]) {
      const a = await call({ ...r, headers: { ...AUTH, 'Content-Type': 'application/json' }, body: '{"ttlMs":1000}' });
      expect([r.path, a.status, JSON.parse(a.body)]).toMatchObject([r.path, 400, { error: { code: 'invalid_name' } }]);
    }
  });

  it('a peer route with an undecodable path segment is 400 bad_request, not 500', async () => {
    const a = await call({ method: 'GET', path: '/internal/blobs/%ZZ', headers: PEER });
    expect([a.status, JSON.parse(a.body)]).toMatchObject([400, { error: { code: 'bad_request' } }]);
  });

  it('answers every case with a catalogue 4xx or a 2xx, never a 5xx', async () => {
    const all = cases();
    const failures = await runAll([...all, ...anonymous(all), ...hugeLength()]);
    expect(failures).toEqual([]);
  }, 180_000);

  it('?from= given twice on /events is 400 invalid_request, not a stream that silently ignores it', async () => {
    const a = await call({ method: 'GET', path: '/events?from=1-0&from=2-0' });
    expect([a.status, JSON.parse(a.body)]).toMatchObject([400, { error: { code: 'invalid_request' } }]);
  });

  it('peer routes without the cluster secret are 403 peer_forbidden', async () => {
    for (const path of ['/internal/blobs/%ZZ', `/internal/blobs/${HEX}`, '/internal/ra/request', '/internal/invalidate', '/internal/x']) {
      const a = await call({ method: 'POST', path, headers: { 'Content-Type': 'application/json' }, body: '{}' });
      expect([path, a.status, JSON.parse(a.body)]).toMatchObject([path, 403, { error: { code: 'peer_forbidden' } }]);
    }
  });

  it('the process is still alive and answers with its own id afterwards', async () => {
    expect(node.proc.exitCode).toBeNull();
    const health = (await (await fetch(`${node.url}/healthz`)).json()) as { node?: string };
    expect(health.node).toBe('route-table');
  });
});

/** Sends raw bytes; resolves with everything the server wrote before it closed the connection. */
function raw(data: string, capMs = 5000): Promise<string> {
  const { port } = new URL(node.url);
  return new Promise((resolve) => {
    const sock = net.connect(Number(port), '127.0.0.1', () => sock.write(data));
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
    sock.on('error', () => undefined);
    sock.on('close', () => resolve(got));
    setTimeout(() => {
      sock.destroy();
      resolve(`still open: ${got}`);
    }, capMs).unref();
  });
}

function parseRaw(text: string): { status: number; headers: Record<string, string>; body: unknown } {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
  let parsed: unknown = body;
  try {
    parsed = JSON.parse(body);
  } catch {
    // left as text: the assertion shows it
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: parsed };
}

describe("requests Node's HTTP parser rejects still get a catalogue JSON answer", () => {
  it.each([
    ['a request line that is not HTTP', 400, 'bad_request', 'GARBAGE\r\n\r\n'],
    ['a header without a colon', 400, 'bad_request', 'GET /healthz HTTP/1.1\r\nHost: a\r\nno colon here\r\n\r\n'],
    ['both Content-Length and chunked', 400, 'bad_request', 'POST /write HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['headers over the limit', 431, 'headers_too_large', `GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`],
    ['headers that never finish', 408, 'request_timeout', 'GET /healthz HTTP/1.1\r\nHost: a\r\nX-Slow: '],
  ])('%s: %i %s, Connection: close', async (_what, status, code, data) => {
    const r = parseRaw(await raw(data));
    expect(r.status).toBe(status);
    expect(r.headers['connection']).toBe('close');
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.body).toMatchObject({ error: { code, message: catalogue[code as keyof typeof catalogue].message } });
  });

  it('an Expect other than 100-continue is 417 expectation_failed', async () => {
    const r = parseRaw(await raw('GET /healthz HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nConnection: close\r\n\r\n'));
    expect(r.status).toBe(417);
    expect(r.body).toMatchObject({ error: { code: 'expectation_failed' } });
  });

  it('the node is alive after all of that', async () => {
    expect(node.proc.exitCode).toBeNull();
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
  });
});
