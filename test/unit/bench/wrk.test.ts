// What wrk prints, parsed, and the rounds of a run summarized (bench/wrk.ts, bench/hits.ts).
import { describe, expect, it } from 'vitest';
import { serversFor, SMALL_TIER_MAX_BYTES, summarizeRuns } from '../../../bench/hits.js';
import { parseDurationMs, parseSize, parseWrk, wrkArgs, type WrkRun } from '../../../bench/wrk.js';

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

describe('serversFor', () => {
  it('reads kubecdn from disk too only above the small hot tier, where the large tier would answer from memory', () => {
    expect(serversFor(SMALL_TIER_MAX_BYTES)).not.toContain('kubecdnDisk');
    expect(serversFor(SMALL_TIER_MAX_BYTES + 1)).toContain('kubecdnDisk');
    expect(serversFor(1024)).toEqual(['nginx', 'varnish', 'node', 'nodeDisk', 'kubecdn']);
  });
});
