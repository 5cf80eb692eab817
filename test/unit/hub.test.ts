// The /events decisions, pure: which stream ids are valid, how they order, and which subscribers to drop.
import { describe, expect, it } from 'vitest';
import { compareIds, isStreamId, planDrops } from '../../node/src/events/hub.js';

describe('isStreamId', () => {
  it('accepts ms-seq with each part up to 2^64-1', () => {
    for (const ok of ['0-0', '1700000000000-0', '18446744073709551615-18446744073709551615']) expect(isStreamId(ok), ok).toBe(true);
  });

  it('refuses parts beyond u64 (20 digits are not enough to be valid) and anything malformed', () => {
    const bad = ['99999999999999999999-0', '18446744073709551616-0', '0-18446744073709551616', '1-2-3', '1', '-1-0', '1-', 'a-0', ' 1-0', '123456789012345678901-0'];
    for (const b of bad) expect(isStreamId(b), b).toBe(false);
  });
});

describe('compareIds', () => {
  it('orders by ms, then seq, numerically (not as strings)', () => {
    expect(compareIds('9-0', '10-0')).toBe(-1);
    expect(compareIds('5-10', '5-9')).toBe(1);
    expect(compareIds('5-1', '5-1')).toBe(0);
    expect(compareIds('18446744073709551615-0', '18446744073709551614-9')).toBe(1);
  });
});

const limits = { clientMaxBytes: 100, totalMaxBytes: 250 };
const backlogs = (...bytes: number[]): Array<{ client: string; bytes: number }> => bytes.map((b, i) => ({ client: `c${i}`, bytes: b }));

describe('planDrops', () => {
  it('drops nobody within both limits, and reports what they hold', () => {
    expect(planDrops(backlogs(100, 100, 50), limits)).toEqual({ drop: [], keptBytes: 250 });
    expect(planDrops([], limits)).toEqual({ drop: [], keptBytes: 0 });
  });

  it('drops every client over its own cap, whatever the total', () => {
    expect(planDrops(backlogs(101, 5, 400), limits)).toEqual({ drop: ['c0', 'c2'], keptBytes: 5 });
  });

  it('over the total budget, drops the largest backlogs first, only as many as needed', () => {
    expect(planDrops(backlogs(60, 90, 80, 70), limits)).toEqual({ drop: ['c1'], keptBytes: 210 });
    expect(planDrops(backlogs(60, 90, 80, 70), { ...limits, totalMaxBytes: 150 })).toEqual({ drop: ['c1', 'c2'], keptBytes: 130 });
    expect(planDrops(backlogs(90, 90, 90), limits)).toEqual({ drop: ['c0'], keptBytes: 180 });
  });

  it('applies the per-client cap before the budget, so capped clients do not count toward it', () => {
    expect(planDrops(backlogs(1000, 100, 100, 40), limits)).toEqual({ drop: ['c0'], keptBytes: 240 });
  });

  it('does not reorder the caller\'s list', () => {
    const list = backlogs(60, 90, 80, 70);
    planDrops(list, limits);
    expect(list.map((b) => b.bytes)).toEqual([60, 90, 80, 70]);
  });
});
