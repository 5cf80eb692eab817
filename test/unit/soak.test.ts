// The soak run's pure parts: "flat in the second half", how answers are judged and counted, the content made again
// from its seed (a Range check depends on it), the bounded record of confirmed versions, and the verdicts.
import { describe, expect, it } from 'vitest';
import { binarySize, contentBytes, sha256Of, textSize } from '../../bench/soakContent.js';
import { Known } from '../../bench/soakKnown.js';
import { renderMarkdown, verdicts, type SoakResult } from '../../bench/soakReport.js';
import { flatness } from '../../bench/soakSamples.js';
import { judge, label, Tally } from '../../bench/soakTally.js';

const MiB = 1024 * 1024;

describe('flatness', () => {
  it('passes when the second half stays near where the first half ended', () => {
    // warm-up growth in the first half is allowed: only its last samples count
    const f = flatness([100, 180, 199, 200, 201, 200, 201, 199, 200, 202, 203, 201], 5);
    expect(f.baseline).toBe(200);
    expect(f.peak).toBe(203);
    expect(f.growth).toBe(3);
    expect(f.flat).toBe(true);
  });

  it('fails on growth in the second half, however late', () => {
    const f = flatness([10, 10, 10, 10, 10, 10, 10, 10, 10, 30], 5);
    expect(f.growth).toBe(20);
    expect(f.flat).toBe(false);
  });

  it('the baseline is the median of the first half\'s last samples: one odd sample does not move it', () => {
    const f = flatness([50, 50, 50, 50, 0, 52, 52, 52, 52, 52], 5);
    expect(f.baseline).toBe(50);
    expect(f.growth).toBe(2);
    expect(flatness([50, 50, 50, 50, 0, 52, 52, 52, 52, 52], 5, 1).baseline).toBe(0); // tail of one: no protection
  });

  it('a shrinking series is flat (negative growth)', () => {
    expect(flatness([9, 9, 8, 7, 6, 5], 0)).toMatchObject({ baseline: 9, peak: 7, growth: -2, flat: true });
  });

  it('fewer than 4 samples cannot show flatness', () => {
    expect(flatness([1, 1, 1], 100).flat).toBe(false);
    expect(flatness([], 100)).toMatchObject({ samples: 0, flat: false });
  });

  it('odd counts put the middle sample in the second half', () => {
    expect(flatness([1, 2, 3, 4, 5], 10)).toMatchObject({ baseline: 1.5, peak: 5 });
  });
});

describe('judging answers', () => {
  it('ok, legit and unexpected by status or by "status code"', () => {
    expect(judge(201, undefined, ['201'], ['423 locked'])).toBe('ok');
    expect(judge(423, 'locked', ['201'], ['423 locked'])).toBe('legit');
    expect(judge(409, 'stale_fence', ['201'], ['409 duplicate_content'])).toBe('unexpected');
    expect(judge(409, 'duplicate_content', ['201'], ['409 duplicate_content'])).toBe('legit');
    expect(judge(404, 'file_deleted', ['404'])).toBe('ok');
  });

  it('any 5xx is 5xx, even one listed', () => {
    expect(judge(500, 'internal', ['500'])).toBe('5xx');
    expect(judge(503, 'blob_unavailable', ['200'], ['503'])).toBe('5xx');
  });

  it('labels carry the error code', () => {
    expect(label(200)).toBe('200');
    expect(label(404, 'file_deleted')).toBe('404 file_deleted');
  });

  it('the tally counts by kind, label and outcome, keeps a few examples, and ignores answers once closed', () => {
    const t = new Tally();
    const at = { node: 'n', request: 'GET /read', answer: '500 {}' };
    for (let i = 0; i < 20; i++) t.answer('compat_read', '5xx', '500 internal', 3, at);
    t.answer('read_latest', 'ok', '200', 1, at);
    t.wrongBytes('read_latest', at);
    t.closed = true;
    t.answer('read_latest', '5xx', '500', 1, at);
    const s = t.summary();
    expect(s).toMatchObject({ requests: 21, fiveXX: 20, wrongBytes: 1, unexpected: 0, errors: 0 });
    expect(s.kinds.compat_read?.byLabel).toEqual({ '500 internal': 20 });
    expect(s.examples.fiveXX).toHaveLength(2); // two per kind and answer, so rarer failures still show
    expect(s.kinds.read_latest?.p50Ms).toBe(1);
  });
});

describe('content from a seed', () => {
  const bin = { seed: '00112233445566778899aabbccddeeff', size: 100_003, text: false };
  const text = { ...bin, size: 1001, text: true };

  it('any slice equals the same slice of the whole', () => {
    const whole = contentBytes(bin);
    expect(whole.length).toBe(bin.size);
    for (const [a, b] of [[0, 1], [15, 17], [16, 32], [99_990, 100_003], [12_345, 54_321]] as const) {
      expect(contentBytes(bin, a, b).equals(whole.subarray(a, b))).toBe(true);
    }
  });

  it('text is lowercase hex and slices the same way', () => {
    const whole = contentBytes(text);
    expect(whole.toString('latin1')).toMatch(/^[0-9a-f]{1001}$/);
    expect(contentBytes(text, 1, 2).equals(whole.subarray(1, 2))).toBe(true);
    expect(contentBytes(text, 333, 1000).equals(whole.subarray(333, 1000))).toBe(true);
    expect(whole.subarray(0, 200).toString('latin1')).toBe(contentBytes({ ...bin, size: 100 }).toString('hex'));
  });

  it('different seeds give different content; the same seed the same', () => {
    const other = { ...bin, seed: 'ffeeddccbbaa99887766554433221100' };
    expect(sha256Of(contentBytes(bin))).not.toBe(sha256Of(contentBytes(other)));
    expect(sha256Of(contentBytes(bin))).toBe(sha256Of(contentBytes({ ...bin })));
  });

  it('sizes: 1 B..256 KiB, some 1-4 MiB; text up to 16 KiB', () => {
    expect(binarySize(0.5, 0)).toBe(1);
    expect(binarySize(0.5, 0.9999)).toBeLessThanOrEqual(256 * 1024);
    expect(binarySize(0.01, 0)).toBe(MiB);
    expect(binarySize(0.01, 0.9999)).toBeLessThan(4 * MiB);
    expect(textSize(0.9999)).toBeLessThanOrEqual(16 * 1024);
  });
});

describe('the record of confirmed versions', () => {
  it('knows content it wrote whichever kind of write made it first (a 1-byte binary "3" is also the text "3")', () => {
    const k = new Known();
    const three = sha256Of(Buffer.from('3'));
    k.remember(three, { seed: 'binary-first', size: 1, text: false });
    k.remember(three, { seed: 'text-later', size: 1, text: true });
    expect(k.wrote(three)).toBe(true);
    expect(k.wrote(sha256Of(Buffer.from('4')))).toBe(false);
  });

  it('detects a version confirmed with other content', () => {
    const k = new Known();
    expect(k.confirm('a', 1, 'x')).toBe('new');
    expect(k.confirm('a', 1, 'x')).toBe('same');
    expect(k.confirm('a', 1, 'y')).toBe('conflict');
    expect(k.confirm('a', 2, null)).toBe('new');
    expect(k.latest('a')).toEqual({ version: 2, fact: null });
    expect(k.pickVersion('a', 0.99, true)).toEqual({ version: 1, fact: 'x' });
    expect(k.isCommitted('x')).toBe(true);
  });

  it('stays bounded: newest versions per name, a ring of committed contents, forgotten specs counted', () => {
    const k = new Known({ versionsPerName: 3, contents: 2 });
    for (let v = 1; v <= 5; v++) k.confirm('a', v, `s${v}`);
    expect([...(k.names()[0]?.[1].keys() ?? [])]).toEqual([3, 4, 5]);
    expect(k.isCommitted('s3')).toBe(false);
    expect(k.isCommitted('s5')).toBe(true);
    const spec = { seed: '00', size: 1, text: false };
    k.remember('p', spec);
    k.remember('q', spec);
    k.remember('r', spec);
    expect(k.spec('p')).toBeUndefined();
    expect(k.forgotten).toBe(1);
  });
});

describe('verdicts', () => {
  const base = (over: Partial<SoakResult> = {}): SoakResult => {
    const flat = [0, 1, 2, 3, 4, 5].map((t) => ({ t: t * 5, nodes: [{ id: 'node-a', rss: 100 * MiB, fds: 40 }] }));
    const tally = new Tally().summary();
    return {
      machine: { os: 'x', kernel: 'k', cpu: 'c', sha_ni: false, nproc: 2, memoryGiB: 1, loadAvg1: 0, node: 'v20', nginx: '', varnish: '', wrk: '', redis: '7', date: '', gitCommit: 'abc', gitDirty: false },
      options: { seconds: 30, workers: 16, maxRequests: 100, sampleEveryS: 5, rssSlackMiB: 32, fdSlack: 32, keepTmp: false, nodeEnv: {} },
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: '2025-01-01T00:01:00.000Z',
      nodes: ['node-a'],
      replication: 2,
      load: { seconds: 30, stoppedBy: 'time', abandoned: false },
      tally,
      samples: flat,
      audit: { names: 1, compared: 1, mismatches: 0, badNumbering: 0, examples: [] },
      cluster: [],
      logs: [],
      ...over,
    };
  };

  it('all pass on a clean, flat run', () => {
    expect(verdicts(base()).map((v) => `${v.name}: ${v.pass ? 'PASS' : 'FAIL'}`)).toEqual(['0 5xx: PASS', '0 wrong bytes: PASS', 'RSS flat: PASS', 'fds flat: PASS']);
    expect(renderMarkdown(base())).toContain('`RSS flat: PASS`');
  });

  it('growth in the second half, a history mismatch or a failed audit fail', () => {
    const samples = [0, 1, 2, 3, 4, 5].map((t) => ({ t, nodes: [{ id: 'node-a', rss: (100 + t * 20) * MiB, fds: 40 + t * 20 }] }));
    const v = verdicts(base({ samples, audit: { names: 1, compared: 1, mismatches: 1, badNumbering: 0, examples: [] } }));
    expect(v.filter((x) => !x.pass).map((x) => x.name)).toEqual(['0 wrong bytes', 'RSS flat', 'fds flat']);
    expect(verdicts(base({ audit: { error: 'boom' } }))[1]?.pass).toBe(false);
  });
});

describe('the warm-up', () => {
  it('writes a quarter more than the hot cache holds, in files the cache admits', async () => {
    const { WARM_FILE_BYTES, warmFiles } = await import('../../bench/soakWarm.js');
    expect(WARM_FILE_BYTES).toBeLessThanOrEqual(1024 * 1024 + 64 * 1024); // HOT_CACHE_MAX_OBJECT_BYTES' default
    expect(warmFiles(64 * 1024 * 1024) * WARM_FILE_BYTES).toBeGreaterThanOrEqual(1.25 * 64 * 1024 * 1024);
    expect((warmFiles(64 * 1024 * 1024) - 1) * WARM_FILE_BYTES).toBeLessThan(1.25 * 64 * 1024 * 1024);
    expect(warmFiles(0)).toBe(0);
  });
});
