// The scale section's pure parts: what it stores, how it reads node logs and /proc/<pid>/io, and its targets.
import { describe, expect, it } from 'vitest';
import { batches, blobOf, blobRelPath, dirCount, randomDirs, scaleName, scalePlan, sha256Of } from '../../../bench/scaleData.js';
import { ioDelta, logLines, parseIo } from '../../../bench/scaleProbe.js';
import { passRate, scaleRows, scaleSection } from '../../../bench/scaleReport.js';
import type { ScaleResult } from '../../../bench/scale.js';
import { recordJson, versionsOf } from '../../../bench/scaleSeed.js';

describe('scale data', () => {
  it('names files into folders of about 1000, unique and zero-padded so byte order is index order within a folder', () => {
    expect(dirCount(1_000_000)).toBe(1000);
    expect(dirCount(50)).toBe(1);
    expect(scaleName(1234, 1_000_000)).toBe('scale/0234/f0001234');
    const names = new Set(Array.from({ length: 5000 }, (_, i) => scaleName(i, 5000)));
    expect(names.size).toBe(5000);
  });

  it('makes unique 64-256 byte contents that depend on the salt', () => {
    const sizes = Array.from({ length: 500 }, (_, i) => blobOf(i, 's').length);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(64);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(256);
    const shas = new Set(Array.from({ length: 500 }, (_, i) => sha256Of(blobOf(i, 's'))));
    expect(shas.size).toBe(500);
    expect(sha256Of(blobOf(7, 'a'))).not.toBe(sha256Of(blobOf(7, 'b')));
    expect(blobRelPath('abcdef')).toBe('blobs/ab/cd/abcdef');
  });

  it('draws the same folders for the same seed, all of them existing ones', () => {
    const a = randomDirs(1_000_000, 200, 7);
    expect(a).toEqual(randomDirs(1_000_000, 200, 7));
    expect(new Set(a).size).toBeGreaterThan(150);
    for (const d of a) expect(Number(d.slice(6, 10))).toBeLessThan(1000);
  });

  it('splits a range into bounded batches covering it exactly', () => {
    expect(batches(5, 2)).toEqual([[0, 2], [2, 4], [4, 5]]);
    expect(batches(0, 3)).toEqual([]);
  });

  it('sizes --quick at 50,000 files and the full run at 1,000,000, overridable', () => {
    expect(scalePlan(true).files).toBe(50_000);
    expect(scalePlan(false).files).toBe(1_000_000);
    expect(scalePlan(false, 1234).files).toBe(1234);
  });
});

describe('scale seeding', () => {
  it('builds the three versions the rules decide: a write, a delete marker, a revert to 1', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const [w, d, r] = versionsOf(3, 100, 'salt', now);
    expect(w).toMatchObject({ version: 1, sha256: sha256Of(blobOf(3, 'salt')), deleted: false, revertedFrom: null });
    expect(d).toMatchObject({ version: 2, sha256: null, deleted: true });
    expect(r).toMatchObject({ version: 3, sha256: w?.sha256, revertedFrom: 1, deleted: false });
  });

  it('writes records the way the commit script does: version first, then the rest of the JSON', () => {
    const json = recordJson(4, { sha256: null, size: 0, contentType: null, createdAt: 't', node: 'n', revertedFrom: null, deleted: true, deduplicated: false });
    expect(json.startsWith('{"version":4,"sha256":null,')).toBe(true);
    expect(JSON.stringify(JSON.parse(json))).toBe(json);
  });
});

describe('scale probes', () => {
  it('reads /proc/<pid>/io and subtracts two readings', () => {
    const a = parseIo('rchar: 10\nwchar: 5\nsyscr: 2\nsyscw: 1\nread_bytes: 4096\nwrite_bytes: 0\ncancelled_write_bytes: 0\n');
    expect(a).toEqual({ rchar: 10, wchar: 5, readBytes: 4096, writeBytes: 0, syscr: 2, syscw: 1 });
    expect(ioDelta(a, { ...a, rchar: 30, writeBytes: 8192 })).toMatchObject({ rchar: 20, writeBytes: 8192, readBytes: 0 });
  });

  it('finds a pass line by message and time, with ISO or epoch times, skipping other output', () => {
    const text = [
      '{"level":"info","time":"2026-01-01T00:00:01.000Z","msg":"scrub pass done","blobs":5,"ms":10}',
      'not json scrub pass done',
      '{"level":"info","time":1767225600500,"msg":"scrub pass done","blobs":6}',
      '{"level":"info","time":"2026-01-01T00:00:02.000Z","msg":"other"}',
    ].join('\n');
    expect(logLines(text, 'scrub pass done').map((l) => l.blobs)).toEqual([5, 6]);
    expect(logLines(text, 'scrub pass done', Date.parse('2026-01-01T00:00:00.600Z')).map((l) => l.blobs)).toEqual([5]);
  });
});

describe('scale targets', () => {
  const io = { rchar: 0, wchar: 0, readBytes: 0, writeBytes: 0, syscr: 0, syscw: 0 };
  const pass = (seconds: number | undefined) => ({ done: seconds !== undefined, seconds, blobs: 600_000, removed: 0, io, env: {} });
  const result = (repairSeconds: number | undefined): ScaleResult =>
    ({
      files: 1_000_000,
      versions: 3_000_000,
      memory: { bytesPerVersion: 700, bytesPerFile: 2100 },
      listing: { pages: 200, pageMs: { p99: 60 }, fullListing: { names: 1_000_000, seconds: 50, complete: true } },
      hotPath: { ratio: 0.95, fullRps: 95, emptyRps: 100, valid: true },
      maintenance: { blobs: 600_000, gc: pass(30), scrub: pass(undefined) },
      restart: { blobs: 600_000, readySeconds: 2, repair: { done: repairSeconds !== undefined, seconds: repairSeconds, waitedSeconds: 300, lookupsPerSec: 1000 } },
    }) as unknown as ScaleResult;

  it('rates passes in blobs per second against 1M in 2 minutes, and misses what did not finish', () => {
    expect(passRate(1000, 2)).toBe(500);
    expect(passRate(1000, undefined)).toBeUndefined();
    const rows = scaleRows(result(undefined));
    const by = (part: string) => rows.find((r) => r.what.includes(part));
    expect(by('bytes per version')?.verdict).toBe('PASS');
    expect(by('listing page p99')?.verdict).toBe('MISS');
    expect(by('full listing')?.verdict).toBe('PASS');
    expect(by('/readyz')?.verdict).toBe('PASS');
    expect(by('repair pass')?.verdict).toBe('MISS'); // still running after 300 s: < 2,000/s
    expect(by('repair pass')?.shown).toContain('< 2,000 blobs/s');
    expect(by('garbage collection')?.verdict).toBe('PASS'); // 20,000 blobs/s
    expect(by('scrub')?.verdict).toBe('MISS'); // did not finish
    expect(by('hot path')?.verdict).toBe('PASS');
    expect(scaleRows(result(60)).find((r) => r.what.includes('repair pass'))?.verdict).toBe('PASS'); // 10,000/s
  });

  it('says how many repair passes overlapped the listing (absent in older results)', () => {
    const base = result(60) as unknown as Record<string, Record<string, unknown>>;
    const full = {
      ...base,
      copies: { a: 1 },
      seed: { redisSeconds: 1, blobSeconds: 2 },
      commits: { commits: 10, commitsPerSec: 5, redisCpuUsPerCommit: 100 },
      memory: { ...base.memory, usedMemoryMB: 1, fileHashBytes: 1, fileHashEncoding: 'listpack', contentKeyBytes: 1, listingZsetMB: 1, eventsStreamMB: 0 },
      maintenance: { ...base.maintenance, garbage: 0 },
      restart: { ...base.restart, node: 'c', repair: { ...(base.restart?.repair as object), checked: 1, pushed: 0, failed: 0 } },
    };
    const withRepairs = { ...full, listing: { ...base.listing, pageLimit: 100, pageMs: { p50: 1, p99: 60, max: 70 }, repairs: { runningAtStart: 1, finishedDuring: 2 } } };
    expect(scaleSection(withRepairs as unknown as ScaleResult)).toContain('| repair passes around the listing (all nodes) | 1 running at its start, 2 finished while it ran |');
    expect(scaleSection({ ...withRepairs, listing: { ...withRepairs.listing, repairs: undefined } } as unknown as ScaleResult)).not.toContain('repair passes around');
  });
});
