// schemathesis (a property-based API fuzzer, from PyPI: scripts/lib.sh ensure_schemathesis) against a real node
// process, driven only by the document the node serves at /openapi.json: no 5xx, every answer's status, content type,
// headers and body as documented, schema-valid requests accepted and schema-invalid ones refused, 405 for methods
// the document does not list, auth enforced where it says so. Writes run with the write token. Skipped only when
// this machine has no python3.
//
// Bounded: 25 examples per operation and phase, 90 s of fuzzing at most (--max-time), one worker (two threads hit
// a CPython 3.11 bug in the ast module that hypothesis uses: "AST constructor recursion depth mismatch").
// Seeded (KUBECDN_SCHEMATHESIS_SEED, default 1) so a red run can be replayed as it was; set another seed, or
// "random", to explore further. With a time budget the run stops where the machine's speed puts it, so a fixed
// seed makes the inputs' order reproducible, not the count.
//
// Left out, each for its reason: GET /events (a stream that never ends: a response never completes) and the check
// use_after_free (a deleted file's history stays readable by design: DELETE writes a delete marker, S3-style).
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, spawnNode, type ChildNode } from '../helpers/node.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const run = promisify(execFile);
const TOKEN = 'schemathesis-write-token';
const HAS_PYTHON = spawnSync('python3', ['--version']).status === 0;
const SEED = process.env.KUBECDN_SCHEMATHESIS_SEED ?? '1';
const MAX_TIME_S = 90;

if (!HAS_PYTHON) console.warn('SKIPPED schemathesis.test.ts: no python3 on this machine to install schemathesis with');

describe.skipIf(!HAS_PYTHON)('schemathesis against a live node', () => {
  let redis: TestRedis;
  let node: ChildNode;
  let st: string;

  beforeAll(async () => {
    // idempotent: installs the pinned version into its cached venv once (scripts/test.sh has done it already)
    const { stdout } = await run('bash', ['-c', 'source scripts/lib.sh; ensure_schemathesis >&2; schemathesis_bin'], { cwd: ROOT });
    st = stdout.trim().split('\n').at(-1) ?? '';
    redis = await startRedis();
    // A short idle timeout keeps each lock wait short (a wait is bounded by it): the fuzzer takes locks for an hour.
    node = await spawnNode(redis.url, { NODE_ID: 'fuzzed', WRITE_TOKEN: TOKEN, IDLE_TIMEOUT_MS: '3000' });
  }, 300_000);
  afterAll(async () => {
    await node?.stop();
    await redis?.stop();
  });

  it('GET /openapi.json serves docs/openapi.json, public and cacheable', async () => {
    const res = await fetch(`${node.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await res.text()).toBe(fs.readFileSync(path.join(ROOT, 'docs/openapi.json'), 'utf8'));
  });

  it('finds nothing: no 5xx, every answer as documented', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kubecdn-st-'));
    const args = [
      '--config-file',
      path.join(ROOT, 'test/fixtures/schemathesis.toml'),
      'run',
      `${node.url}/openapi.json`,
      '--checks',
      'all',
      '--exclude-checks',
      'use_after_free',
      '--exclude-path',
      '/events',
      '-H',
      `Authorization: Bearer ${TOKEN}`,
      '--max-examples',
      '25',
      '--max-time',
      String(MAX_TIME_S),
      '--workers',
      '1',
      '--request-timeout',
      '10',
      '--generation-database',
      'none',
      '--no-color',
      ...(SEED === 'random' ? [] : ['--seed', SEED]),
    ];
    const result = await run(st, args, { cwd: work, maxBuffer: 64 * 1024 * 1024, timeout: (MAX_TIME_S + 120) * 1000 }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code ?? -1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
    );
    fs.rmSync(work, { recursive: true, force: true });
    const summary = result.out.slice(result.out.lastIndexOf('SUMMARY'));
    console.log(`schemathesis (seed ${SEED}): ${/\d+ generated[^\n]*/.exec(summary)?.[0] ?? 'no summary'}`);
    // the whole report when it fails: each failure with its curl line to reproduce it
    expect(result.code, result.out).toBe(0);
    expect(summary).toMatch(/Tested: (2[0-9])/);
    expect(summary).toMatch(/\d+ generated/);
  }, (MAX_TIME_S + 180) * 1000);
});
