// The benchmark plan: which sections run, and the options that shape them.
import { describe, expect, it } from 'vitest';
import { makePlan, parseSections } from '../../../bench/plan.js';

describe('plan', () => {
  it('runs every section by default, in canonical order, and refuses unknown ones', () => {
    expect(parseSections(undefined)).toEqual(['hits', 'cold', 'coalesce', 'upload', 'notify', 'locks', 'minio', 'scale']);
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
