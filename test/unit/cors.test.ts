// CORS decided twice, the same way: the lean read path's precomputed lists (leanCors) against what the Express side
// (the `cors` package behind corsMiddleware) really sends over a socket, on one table of settings and origins.
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../node/src/config.js';
import { CORS_MAX_AGE_S, corsMiddleware, leanCors, type CorsOrigins } from '../../node/src/http/cors.js';

const A = 'http://a.test:8080';
const B = 'https://b.test';
const SETTINGS: readonly [string, CorsOrigins][] = [
  ['off', undefined],
  ['any', '*'],
  ['a list', [A, B]],
];
const ORIGINS = [undefined, A, B, 'http://evil.test', 'null', `${A}/`];

/** The CORS part of a response: Access-Control-* and Vary, names lowercased. */
function corsPart(headers: Headers | readonly string[]): Record<string, string> {
  const pairs: [string, string][] = [];
  if (headers instanceof Headers) headers.forEach((v, k) => pairs.push([k, v]));
  else for (let i = 0; i < headers.length; i += 2) pairs.push([String(headers[i]).toLowerCase(), String(headers[i + 1])]);
  return Object.fromEntries(pairs.filter(([k]) => k.startsWith('access-control-') || k === 'vary'));
}

describe.each(SETTINGS)('CORS %s', (_label, origins) => {
  let base = '';
  let close = (): void => undefined;
  beforeAll(async () => {
    const app = express();
    for (const m of corsMiddleware(origins)) app.use(m);
    app.use((_req, res) => res.status(200).end('ok'));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  it.each(ORIGINS)('a request from %s: the lean path sends what Express sends', async (origin) => {
    const res = await fetch(`${base}/files/x`, { headers: origin === undefined ? {} : { Origin: origin } });
    expect(res.status).toBe(200);
    expect(corsPart(leanCors(origins)(origin))).toEqual(corsPart(res.headers));
  });

  it.each(ORIGINS)('a preflight from %s: 204 with the rules when allowed, no Access-Control-* header when not', async (origin) => {
    const headers: Record<string, string> = { 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'authorization' };
    if (origin !== undefined) headers.Origin = origin;
    const res = await fetch(`${base}/files/x`, { method: 'OPTIONS', headers });
    const allowed = origins === '*' || (origin !== undefined && origins?.includes(origin) === true);
    const got = corsPart(res.headers);
    if (!allowed) {
      expect(Object.keys(got).filter((k) => k.startsWith('access-control-'))).toEqual([]);
      expect(res.status).toBe(200); // went on to the next handler, as with CORS off
      return;
    }
    expect(res.status).toBe(204);
    expect(got['access-control-allow-origin']).toBe(origins === '*' ? '*' : origin);
    expect(got['access-control-allow-methods']).toContain('PUT');
    expect(got['access-control-allow-headers']).toContain('Authorization');
    expect(got['access-control-max-age']).toBe(String(CORS_MAX_AGE_S));
  });
});

describe('CORS_ORIGINS', () => {
  const parse = (v: string): unknown => loadConfig({ CORS_ORIGINS: v }).corsOrigins;

  it('is "*" alone, or a list of exact origins; unset is off', () => {
    expect(loadConfig({}).corsOrigins).toBeUndefined();
    expect(parse('*')).toBe('*');
    expect(parse(` ${A} , ${B},`)).toEqual([A, B]);
  });

  it.each(['http://a.test/', 'http://A.test', 'a.test', '*,http://a.test', 'http://a.test/path', ','])('refuses %j', (v) => {
    expect(() => parse(v)).toThrow(/CORS_ORIGINS/);
  });
});
