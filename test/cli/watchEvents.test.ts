// `watch` on /events, pure: how long to back off, and which failures are worth a retry.
import { describe, expect, it } from 'vitest';
import { backoffMs, retriableStatus } from '../../cli/src/watchEvents.js';

describe('watch decisions', () => {
  it('backs off exponentially up to a cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map(backoffMs)).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('retries an unwell node but not a refusal of the request', () => {
    expect(retriableStatus(503)).toBe(true);
    expect(retriableStatus(500)).toBe(true);
    expect(retriableStatus(400)).toBe(false);
    expect(retriableStatus(401)).toBe(false);
  });
});
