// The CLI's option parsers, pure: versions, counts, durations, event ids.
import { describe, expect, it } from 'vitest';
import { parseCount, parseDuration, parseEventId, parseVersionArg } from '../../cli/src/options.js';

describe('option parsers', () => {
  it('versions and counts are whole numbers of at least 1', () => {
    expect(parseVersionArg('12')).toBe(12);
    expect(parseCount('3')).toBe(3);
    for (const bad of ['0', '-1', '1.5', 'x', '', '01']) {
      expect(() => parseVersionArg(bad), bad).toThrow();
      expect(() => parseCount(bad), bad).toThrow();
    }
  });

  it('durations have units; a bare number is seconds', () => {
    expect(parseDuration('1500ms')).toBe(1500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('10')).toBe(10_000);
    for (const bad of ['0', '0s', 's', '1d', '-5s', '1.5s']) expect(() => parseDuration(bad), bad).toThrow();
  });

  it('event ids are stream ids or 0', () => {
    expect(parseEventId('1700000000000-0')).toBe('1700000000000-0');
    expect(parseEventId('0')).toBe('0');
    expect(() => parseEventId('latest')).toThrow();
  });
});
