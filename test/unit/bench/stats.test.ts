// The arithmetic behind every number the benchmark reports: medians, percentiles, ratios, verdicts, rounding.
import { describe, expect, it } from 'vitest';
import { median, percentile, ratio, roundOrder, summarize, TARGETS, verdict } from '../../../bench/stats.js';

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
    // kubecdn / MinIO: PUT latency at most MinIO's, small-PUT rate 1.2x, GETs 2.5x (16 MiB 1.0x)
    expect(verdict(1.0, TARGETS.minio.seqPutP50)).toBe('PASS');
    expect(verdict(1.01, TARGETS.minio.seqPutP50)).toBe('MISS');
    expect(verdict(1.19, TARGETS.minio.concurrentPut)).toBe('MISS');
    expect(verdict(2.5, TARGETS.minio.get['1MiB'])).toBe('PASS');
    expect(verdict(2.49, TARGETS.minio.get['64KiB'])).toBe('MISS');
    expect(verdict(1.0, TARGETS.minio.get['16MiB'])).toBe('PASS');
  });

  it('16 MiB hits at 0.8x nginx; small hits at 0.85x the node:http control, larger ones have no control target', () => {
    expect([verdict(0.8, TARGETS.hitVsNginx['16MiB']), verdict(0.79, TARGETS.hitVsNginx['16MiB'])]).toEqual(['PASS', 'MISS']);
    expect([verdict(0.85, TARGETS.hitVsControl['1KiB']), verdict(0.84, TARGETS.hitVsControl['64KiB'])]).toEqual(['PASS', 'MISS']);
    expect([TARGETS.hitVsControl['1MiB'], TARGETS.hitVsControl['16MiB']]).toEqual([undefined, undefined]);
  });
});

describe('roundOrder', () => {
  it('interleaves every server once per round, rotating who goes first', () => {
    const order = roundOrder(['n', 'v', 'k'], 3).map((x) => `${x.round}${x.server}`);
    expect(order).toEqual(['1n', '1v', '1k', '2v', '2k', '2n', '3k', '3n', '3v']);
  });
});
