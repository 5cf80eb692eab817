// The measured reasons in http/httpRules.ts: ns per call of the hand-written rules against the libraries Express
// brings (fresh, range-parser, mime-types). Each (rule, case) runs in its own process so every call site stays
// monomorphic, rounds interleave them, and the best run is kept (the least disturbed by other load).
// Run: npx tsc -p tsconfig.json && node dist/bench/httpRules.js [rounds]
import { execFileSync } from 'node:child_process';
import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import rangeParser from 'range-parser';
import { contentTypeFor, isNotModified, parseRange } from '../node/src/http/httpRules.js';

const require = createRequire(import.meta.url);
const fresh = require('fresh') as (req: IncomingHttpHeaders, res: Record<string, string>) => boolean;

const copy = (s: string): string => Buffer.from(s).toString('latin1'); // a new string, as from the HTTP parser
const etag = `"${'ab12'.repeat(16)}"`;
const lastModified = new Date(1_780_000_000_000).toUTCString();
const forFresh = { etag, 'last-modified': lastModified }; // what fresh() reads, built once per head
const base = { host: 'localhost:8080', 'user-agent': 'wrk', accept: '*/*' };
const conditions: Record<string, IncomingHttpHeaders> = {
  unconditional: base,
  'If-None-Match hit': { ...base, 'if-none-match': copy(etag) },
  'If-None-Match miss': { ...base, 'if-none-match': copy('"something-else"') },
  'If-None-Match list of 3, hit': { ...base, 'if-none-match': copy(`"a", "b", ${etag}`) },
  'If-Modified-Since hit': { ...base, 'if-modified-since': copy(lastModified) },
};
const names = ['site/app.js', 'img/logo.PNG', 'fonts/a.ttf', 'video/index.m3u8', 'dir.d/file', 'a/b/data.json'].map(copy);
const ranges = ['bytes=0-1023', 'bytes=1000-', 'bytes=-500', 'bytes=0-1,3-4'].map(copy);

type Bench = (i: number) => boolean;
const benches: Record<string, Bench> = {};
for (const [c, h] of Object.entries(conditions)) {
  benches[`304 check, ${c}: isNotModified`] = () => isNotModified(h, etag, lastModified);
  benches[`304 check, ${c}: fresh`] = () => fresh(h, forFresh);
}
benches['Range, 4 headers: parseRange'] = (i) => parseRange(ranges[i % 4], 1_000_000).kind === 'partial';
benches['Range, 4 headers: range-parser'] = (i) => Array.isArray(rangeParser(1_000_000, ranges[i % 4] ?? ''));
benches['type of 6 names: contentTypeFor (mime-types)'] = (i) => contentTypeFor(names[i % 6] ?? '', undefined) !== '';

function measure(fn: Bench, n = 300_000): number {
  let sink = 0;
  for (let i = 0; i < n; i++) sink ^= fn(i) ? 1 : 0;
  let best = Infinity;
  for (let r = 0; r < 7; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink ^= fn(i) ? 1 : 0;
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  if (sink === 2) console.log(); // keeps the results used
  return best;
}

const [only] = process.argv.slice(2, 3);
const one = only === undefined ? undefined : benches[only];
if (one !== undefined) {
  console.log(measure(one).toFixed(1));
} else {
  const rounds = Number(process.argv[2] ?? 5);
  const best = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    for (const name of Object.keys(benches)) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), name], { encoding: 'utf8' });
      best.set(name, Math.min(best.get(name) ?? Infinity, Number(out)));
    }
  }
  for (const [name, ns] of best) console.log(`${ns.toFixed(1).padStart(8)} ns  ${name}`);
}
