// Garbage collection's rule, pure: a blob may go only when nothing references it and it is older than the grace
// period (which covers the moment between a blob landing on disk and its writer taking the pending lease).
import { describe, expect, it } from 'vitest';
import { collectable } from '../../node/src/storage/gc.js';

const NOW = 1_700_000_000_000;
const GRACE = 60_000;

describe('collectable', () => {
  it('never collects a blob something references, however old', () => {
    expect(collectable(true, NOW - 10 * GRACE, NOW, GRACE)).toBe(false);
    expect(collectable(true, 0, NOW, 0)).toBe(false);
  });

  it('collects an unreferenced blob only once it is strictly older than the grace period', () => {
    expect(collectable(false, NOW - GRACE - 1, NOW, GRACE)).toBe(true);
    expect(collectable(false, NOW - GRACE, NOW, GRACE)).toBe(false);
    expect(collectable(false, NOW - 1, NOW, GRACE)).toBe(false);
  });

  it('with no grace period, anything older than this millisecond goes', () => {
    expect(collectable(false, NOW - 1, NOW, 0)).toBe(true);
    expect(collectable(false, NOW, NOW, 0)).toBe(false);
  });

  it('keeps a blob whose mtime is ahead of the clock (just refreshed by an upload, or clock skew)', () => {
    expect(collectable(false, NOW + 5_000, NOW, 0)).toBe(false);
  });
});
