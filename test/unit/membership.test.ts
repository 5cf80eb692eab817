// Membership as wanted vs current, pure: who arrived (or moved to a new URL) and who left.
import { describe, expect, it } from 'vitest';
import { diffMembers } from '../../node/src/cluster/membership.js';

describe('membership diff', () => {
  it('reports arrivals, departures and URL changes', () => {
    const cur = new Map([['a', 'u1'], ['b', 'u2']]);
    const want = new Map([['b', 'u2-new'], ['c', 'u3']]);
    expect(diffMembers(cur, want)).toEqual({ added: [{ id: 'b', url: 'u2-new' }, { id: 'c', url: 'u3' }], removed: ['a'] });
    expect(diffMembers(cur, cur)).toEqual({ added: [], removed: [] });
  });
});
