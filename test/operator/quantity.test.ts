// Kubernetes quantities read as byte sizes, pure.
import { describe, expect, test } from 'vitest';
import { parseBytes } from '../../operator/src/reconcile/quantity.js';

describe('quantities', () => {
  test.each([
    ['10Gi', 10 * 2 ** 30],
    ['1.5Ti', 1.5 * 2 ** 40],
    ['500M', 500e6],
    ['1073741824', 1073741824],
    ['1k', 1000],
  ])('%s', (q, bytes) => expect(parseBytes(q)).toBe(bytes));
  test('not a byte size', () => {
    expect(parseBytes('100m')).toBeUndefined();
    expect(parseBytes('lots')).toBeUndefined();
  });
});
