// The API document is generated from the code and complete: docs/openapi.json is what `npm run openapi` writes now,
// every route Express and the read path serve is in it (and nothing else), and every catalogue code is. Adding a
// route or an error code without documenting it fails here. (GET /openapi.json serving this same text is checked
// against a real node in test/integration/schemathesis.test.ts.)
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../node/src/config.js';
import type { Deps } from '../../node/src/deps.js';
import { catalogue } from '../../node/src/errors.js';
import { OPERATIONS } from '../../node/src/http/apiRoutes.js';
import { createExpressApp } from '../../node/src/http/expressApp.js';
import { classify } from '../../node/src/http/httpRules.js';
import { errorsByStatus, openApiDocument, openApiText } from '../../node/src/http/openapi.js';
import { checkName, nameSchema } from '../../node/src/names.js';
import { ROOT } from '../helpers/node.js';

interface Served {
  readonly method: string;
  /** the mount prefix ("/locks") and the route's own path, as Express holds them */
  readonly prefix: string;
  readonly path: string | RegExp;
}

interface Layer {
  rawPath?: unknown;
  route?: { path: string | RegExp; stack: { method?: string; handle: { name: string } }[] };
  handle: { stack?: Layer[] };
}

/** Every method × route the Express app serves, walked from its router; the 405 answers and /internal/ left out. */
function expressRoutes(): Served[] {
  const cfg = loadConfig({ NODE_ID: 'doc', REDIS_URL: 'redis://127.0.0.1:1', DATA_DIR: '/nonexistent' });
  // Building the routers only keeps what they are given; nothing is called until a request comes.
  const app = createExpressApp({ cfg } as unknown as Deps) as unknown as { router: { stack: Layer[] } };
  const out: Served[] = [];
  const walk = (stack: Layer[], prefix: string): void => {
    for (const layer of stack) {
      const route = layer.route;
      if (route) {
        const methods = route.stack.filter((l) => l.method && l.handle.name !== 'methodNotAllowed').map((l) => l.method ?? '');
        out.push(...methods.map((method) => ({ method, prefix, path: route.path })));
      } else if (layer.handle.stack) {
        walk(layer.handle.stack, prefix + (typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : ''));
      }
    }
  };
  walk(app.router.stack, '');
  return out.filter((r) => !(r.prefix + String(r.path)).includes('/internal'));
}

/** A concrete URL path for a path template. */
const sample = (template: string): string => template.replace('{name}', 'a.txt').replace('{sha256}', 'a'.repeat(64));

const matches = (r: Served, url: string): boolean =>
  typeof r.path === 'string' ? r.prefix + r.path === url : url.startsWith(r.prefix) && r.path.test(url.slice(r.prefix.length));

/** The lean read path (readPath.ts) takes GET and HEAD of what classify() calls a file or a blob. */
const readPathServes = (method: string, url: string): boolean =>
  (method === 'get' || method === 'head') && ['file', 'blob'].includes(classify(url).route);

describe('the OpenAPI document', () => {
  it('docs/openapi.json is what the generator writes now (npm run openapi)', () => {
    const committed = fs.readFileSync(path.join(ROOT, 'docs/openapi.json'), 'utf8');
    expect(committed === openApiText(), 'docs/openapi.json is stale: run npm run openapi').toBe(true);
  });

  it('lists every route Express serves', () => {
    const served = expressRoutes();
    expect(served.length).toBeGreaterThan(10);
    for (const r of served) {
      const doc = OPERATIONS.filter((op) => op.method === r.method && matches(r, sample(op.path)));
      expect(doc.length, `${r.method.toUpperCase()} ${r.prefix}${String(r.path)} is not in the document`).toBeGreaterThan(0);
    }
  });

  it("lists the read path's routes", () => {
    for (const url of ['/files/a.txt', '/blobs/sha256/' + 'a'.repeat(64)]) {
      for (const method of ['get', 'head']) {
        const doc = OPERATIONS.filter((op) => op.method === method && classify(sample(op.path)).route === classify(url).route);
        expect(doc.length, `${method} ${url}`).toBeGreaterThan(0);
      }
    }
  });

  it('lists only routes that are served', () => {
    const served = expressRoutes();
    for (const op of OPERATIONS) {
      const url = sample(op.path);
      const found = readPathServes(op.method, url) || served.some((r) => r.method === op.method && matches(r, url));
      expect(found, `${op.method.toUpperCase()} ${op.path} is documented but not served`).toBe(true);
    }
  });

  it('names every code of the error catalogue', () => {
    const codes = new Set<string>();
    const collect = (node: unknown, key: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const enumOf = (node as { enum?: unknown }).enum;
      if (key === 'code' && Array.isArray(enumOf)) for (const c of enumOf) codes.add(String(c));
      for (const [k, v] of Object.entries(node)) collect(v, k);
    };
    collect(openApiDocument(), '');
    expect([...Object.keys(catalogue)].filter((c) => !codes.has(c))).toEqual([]);
  });

  it("answers each code with the catalogue's status (the original API's duplicate excepted, a 400 as it always was)", () => {
    for (const op of OPERATIONS) {
      for (const [status, { own, any }] of errorsByStatus(op)) {
        for (const code of [...own, ...any]) expect(op.statusOf?.[code] ?? catalogue[code].status, `${op.id} ${code}`).toBe(status);
      }
    }
  });
});

describe('the file name as the document shows it', () => {
  // ASCII and short names: where the pattern can state the whole rule (it cannot state bytes or NFC)
  const NAMES = ['a', 'a/b.txt', 'dir/sub/x y', '.hidden', 'a..b', '..a', 'é', '', '/a', 'a/', 'a//b', '.', '..', 'a/./b', 'a/../b', 'a\u0001b', 'a\u007fb', 'a\u0085b', 'x\ty'];
  it.each(NAMES)('%j: the pattern agrees with checkName', (name) => {
    expect(nameSchema.safeParse(name).success).toBe(checkName(name).ok);
  });
});
