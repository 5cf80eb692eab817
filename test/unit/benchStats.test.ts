// The benchmark harness's pure parts: the arithmetic behind every reported number, the parsers of what wrk,
// /metrics and /proc print, the plan, and the targets and report built from results.
import { describe, expect, it } from 'vitest';
import { summarizeRuns } from '../../bench/hits.js';
import type { Machine } from '../../bench/machine.js';
import { makePlan, parseSections } from '../../bench/plan.js';
import { renderMarkdown } from '../../bench/report.js';
import { targetRows, type BenchResults } from '../../bench/results.js';
import { statusField } from '../../bench/rss.js';
import { nginxConf } from '../../bench/servers.js';
import { median, percentile, ratio, roundOrder, summarize, TARGETS, verdict } from '../../bench/stats.js';
import { parseDurationMs, parseSize, parseWrk, wrkArgs, type WrkRun } from '../../bench/wrk.js';
import { parseLabels, sampleValue } from '../helpers/metrics.js';

describe('median and percentile', () => {
  it('median of odd and even counts, unsorted input', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeUndefined();
  });

  it('interpolates between closest ranks', () => {
    const v = Array.from({ length: 101 }, (_, i) => i); // 0..100
    expect(percentile(v, 99)).toBe(99);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10, 20], 99)).toBeCloseTo(19.9);
    expect(percentile([5], 99)).toBe(5);
  });

  it('clamps p and ignores non-finite values', () => {
    expect(percentile([1, 2, 3], 150)).toBe(3);
    expect(percentile([1, 2, 3], -5)).toBe(1);
    expect(percentile([1, Number.NaN, 3], 50)).toBe(2);
  });

  it('summarize gives count, p50, p99, min, max', () => {
    expect(summarize([2, 1, 3])).toEqual({ count: 3, p50: 2, p99: 2.98, min: 1, max: 3 });
    expect(summarize([])).toEqual({ count: 0, p50: undefined, p99: undefined, min: undefined, max: undefined });
  });
});

describe('ratio and verdicts', () => {
  it('ratio is undefined against nothing', () => {
    expect(ratio(90, 100)).toBe(0.9);
    expect(ratio(1, 0)).toBeUndefined();
    expect(ratio(undefined, 3)).toBeUndefined();
    expect(ratio(3, undefined)).toBeUndefined();
  });

  it('verdict per operator, INVALID for flagged measurements, MISS for a missing number', () => {
    expect(verdict(1.0, TARGETS.hitVsNginx['1KiB'])).toBe('PASS');
    expect(verdict(0.99, TARGETS.hitVsNginx['1KiB'])).toBe('MISS');
    expect(verdict(0.9, TARGETS.hitVsNginx['1MiB'])).toBe('PASS');
    expect(verdict(1, TARGETS.peerTransfers)).toBe('PASS');
    expect(verdict(2, TARGETS.peerTransfers)).toBe('MISS');
    expect(verdict(0, TARGETS.peerTransfers)).toBe('MISS');
    expect(verdict(199.9, TARGETS.peakRssMB)).toBe('PASS');
    expect(verdict(200, TARGETS.peakRssMB)).toBe('MISS');
    expect(verdict(19, TARGETS.notifyP99Ms)).toBe('PASS');
    expect(verdict(0.5, TARGETS.uploadVsSha)).toBe('PASS');
    expect(verdict(5, TARGETS.notifyP99Ms, false)).toBe('INVALID');
    expect(verdict(undefined, TARGETS.notifyP99Ms)).toBe('MISS');
    expect(verdict(3, undefined)).toBe('n/a');
  });

  it('has no target for 16 MiB hits', () => {
    expect(TARGETS.hitVsNginx['16MiB']).toBeUndefined();
  });
});

describe('roundOrder', () => {
  it('interleaves every server once per round, rotating who goes first', () => {
    const order = roundOrder(['n', 'v', 'k'], 3).map((x) => `${x.round}${x.server}`);
    expect(order).toEqual(['1n', '1v', '1k', '2v', '2k', '2n', '3k', '3n', '3v']);
  });
});

const WRK_OK = `Running 1s test @ http://127.0.0.1:45095/a.bin
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    87.83us   51.34us   1.79ms   94.22%
    Req/Sec    45.64k     7.83k   49.72k    81.82%
  Latency Distribution
     50%   78.00us
     75%   81.00us
     90%  101.00us
     99%  182.00us
  49846 requests in 1.10s, 60.75MB read
Requests/sec:  45310.10
Transfer/sec:     55.22MB
`;

const WRK_BAD = `Running 2s test @ http://127.0.0.1:1/x
  1 threads and 32 connections
  Latency Distribution
     50%    1.20ms
     75%    2.00ms
     90%    3.00ms
     99%    1.50s
  1000 requests in 2.00s, 1.00GB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:    500.00
Transfer/sec:    512.00MB
`;

describe('wrk output', () => {
  it('builds identical arguments for every server', () => {
    expect(wrkArgs('http://x/a', { connections: 32, durationS: 10, timeoutS: 10 })).toEqual(['-t1', '-c32', '-d10s', '--timeout', '10s', '--latency', 'http://x/a']);
  });

  it('converts time and size units', () => {
    expect(parseDurationMs('182.00us')).toBeCloseTo(0.182);
    expect(parseDurationMs('4.08ms')).toBe(4.08);
    expect(parseDurationMs('1.50s')).toBe(1500);
    expect(parseDurationMs('2.00m')).toBe(120_000);
    expect(parseDurationMs('oops')).toBeUndefined();
    expect(parseSize('60.75MB')).toBeCloseTo(60.75 * 1024 * 1024);
    expect(parseSize('1.00GB')).toBe(1024 ** 3);
    expect(parseSize('512B')).toBe(512);
  });

  it('parses a clean run', () => {
    const r = parseWrk('u', WRK_OK);
    expect(r.valid).toBe(true);
    expect(r.rps).toBe(45310.1);
    expect(r.requests).toBe(49846);
    expect(r.durationS).toBeCloseTo(1.1);
    expect(r.latencyMs).toEqual({ p50: 0.078, p75: 0.081, p90: 0.101, p99: 0.182 });
    expect(r.non2xx).toBe(0);
  });

  it('flags socket errors and non-2xx answers instead of hiding them', () => {
    const r = parseWrk('u', WRK_BAD);
    expect(r.valid).toBe(false);
    expect(r.errors).toEqual({ connect: 0, read: 3, write: 0, timeout: 2 });
    expect(r.non2xx).toBe(7);
    expect(r.latencyMs.p99).toBe(1500);
    expect(r.problem).toContain('7 non-2xx');
  });

  it('flags output it cannot read', () => {
    const r = parseWrk('u', 'unable to connect to 127.0.0.1:1 Connection refused');
    expect(r.valid).toBe(false);
    expect(r.problem).toContain('unreadable');
  });

  it('summarizes rounds by their median, invalid if any round was', () => {
    const run = (rps: number, p99: number, valid = true): WrkRun => ({ ...parseWrk('u', WRK_OK), rps, latencyMs: { p99 }, valid });
    const ok = summarizeRuns('u', [run(100, 3), run(300, 1), run(200, 2)], 1000);
    expect(ok).toMatchObject({ rps: 200, p99Ms: 2, payloadMBps: 0.2, valid: true });
    expect(summarizeRuns('u', [run(100, 3), run(300, 1, false)], 1000).valid).toBe(false);
    expect(summarizeRuns('u', [], 1000).valid).toBe(false);
  });
});

describe('parsers of /metrics and /proc', () => {
  const metrics = [
    '# HELP kubecdn_peer_fetches_total blob transfers',
    '# TYPE kubecdn_peer_fetches_total counter',
    'kubecdn_peer_fetches_total{node="node-a"} 3',
    'kubecdn_peer_fetches_total_other{node="node-a"} 100',
    'kubecdn_lock_wait_seconds_sum{node="node-a",mode="redis"} 0.25',
    'kubecdn_lock_wait_seconds_sum{node="node-a",mode="local"} 0.5',
    'kubecdn_lock_wait_seconds_count{node="node-a",mode="redis"} 10',
    'kubecdn_redis_up 1',
  ].join('\n');

  it('sums matching samples only, by exact name and labels', () => {
    expect(sampleValue(metrics, 'kubecdn_peer_fetches_total')).toBe(3);
    expect(sampleValue(metrics, 'kubecdn_lock_wait_seconds_sum')).toBe(0.75);
    expect(sampleValue(metrics, 'kubecdn_lock_wait_seconds_sum', { mode: 'redis' })).toBe(0.25);
    expect(sampleValue(metrics, 'kubecdn_redis_up')).toBe(1);
    expect(sampleValue(metrics, 'kubecdn_nothing')).toBe(0);
    expect(parseLabels('a="x",b="y"')).toEqual({ a: 'x', b: 'y' });
  });

  it('reads VmHWM / VmRSS in bytes', () => {
    const status = 'Name:\tnode\nVmHWM:\t  123456 kB\nVmRSS:\t   1000 kB\n';
    expect(statusField(status, 'VmHWM')).toBe(123456 * 1024);
    expect(statusField(status, 'VmRSS')).toBe(1000 * 1024);
    expect(statusField(status, 'VmSwap')).toBeUndefined();
  });
});

describe('plan', () => {
  it('runs every section by default, in canonical order, and refuses unknown ones', () => {
    expect(parseSections(undefined)).toEqual(['hits', 'cold', 'coalesce', 'upload', 'notify', 'locks']);
    expect(parseSections('locks, hits,hits')).toEqual(['hits', 'locks']);
    expect(() => parseSections('hits,nope')).toThrow(/nope/);
  });

  it('quick shortens runs but keeps 3 rounds and the 1 GiB upload; options are validated', () => {
    const q = makePlan({ quick: true });
    const full = makePlan({});
    expect(q.durationS).toBeLessThan(full.durationS);
    expect(q.rounds).toBe(3);
    expect(q.uploadBytes).toBe(1024 ** 3);
    expect(full.connections).toBe(32);
    expect(makePlan({ duration: '5', rounds: '4' })).toMatchObject({ durationS: 5, rounds: 4 });
    expect(() => makePlan({ rounds: '0' })).toThrow(/rounds/);
    expect(() => makePlan({ duration: 'x' })).toThrow(/duration/);
  });
});

describe('nginx configuration', () => {
  it('has one worker, sendfile, no access log, long keep-alive, state in the run dir', () => {
    const conf = nginxConf({ dir: '/tmp/run/nginx', root: '/tmp/run/www', port: 4321 });
    for (const line of ['worker_processes 1;', 'daemon off;', 'sendfile on;', 'access_log off;', 'keepalive_requests 1000000;', 'listen 127.0.0.1:4321;', 'root /tmp/run/www;', 'pid /tmp/run/nginx/nginx.pid;']) {
      expect(conf).toContain(line);
    }
  });
});

const machine: Machine = {
  os: 'Debian', kernel: '6', cpu: 'EPYC', sha_ni: true, nproc: 2, memoryGiB: 24, loadAvg1: 0.1, node: 'v20', nginx: '1.22.1',
  varnish: 'varnish-7.1.1', wrk: '4.1.0', redis: '7.0.15', date: '2026-01-01T00:00:00Z', gitCommit: 'abc', gitDirty: false,
};

describe('targets and report', () => {
  const s = (p50: number, p99: number) => ({ count: 10, p50, p99, min: p50, max: p99 });
  const results: BenchResults = {
    machine,
    plan: makePlan({ quick: true }),
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:02:00Z',
    loadAvg1AtEnd: 0.5,
    coalesce: { clients: 100, bytes: 4 << 20, node: 'node-b', peerTransfers: 1, peerTransfersAllNodes: 1, coalesced: 99, ok: 100, corrupt: 0, xCache: { MISS: 100 }, ms: s(10, 20), valid: true },
    notify: {
      writes: 10, writeNode: 'node-a', sseNode: 'node-b', putMs: s(5, 9),
      sse: { received: 9, fromCommitMs: s(2, 4), fromSendMs: s(6, 30), afterAckMs: s(1, 2) },
      redis: { received: 10, fromCommitMs: s(2, 4), fromSendMs: s(6, 30), afterAckMs: s(1, 2) },
    },
    errors: [{ section: 'upload', message: 'boom' }],
  };

  it('checks each target of the sections that ran; lost events make the notification row INVALID', () => {
    const rows = targetRows(results);
    expect(rows.map((r) => r.verdict)).toEqual(['PASS', 'INVALID']);
    expect(rows[1]?.note).toContain('1 of 10 events');
    // the target is on the notification path (from the commit), not on the write's own duration (from send: 30 ms)
    expect(rows[1]?.shown).toBe('4.0 ms');
  });

  it('renders the targets, the sections and the failures as markdown', () => {
    const md = renderMarkdown(results);
    expect(md).toContain('| peer transfers for 100 concurrent cold misses of one blob | 1 | = 1 | **PASS** |');
    expect(md).toContain('## Write -> notification');
    expect(md).toContain('- upload: boom');
    expect(md).not.toContain('## Cache hits');
    expect(md).not.toContain('Warning');
  });

  it('warns when the machine was busy before the run', () => {
    expect(renderMarkdown({ ...results, machine: { ...machine, loadAvg1: 1.5 } })).toContain('**Warning: the machine was busy');
  });
});
