// Rendezvous placement, pure: which members are a blob's homes, and in what order the others are tried.
import { describe, expect, it } from 'vitest';
import { homes, rank } from '../../node/src/cluster/placement.js';
import { sha256 } from '../helpers/http.js';

const digests = Array.from({ length: 2000 }, (_, i) => sha256(`blob ${i}`));

describe('rendezvous placement', () => {
  it('is deterministic and independent of member order', () => {
    for (const d of digests.slice(0, 50)) expect(homes(d, ['a', 'b', 'c'], 2)).toEqual(homes(d, ['c', 'a', 'b'], 2));
  });

  it('caps R at the member count and never returns duplicates', () => {
    expect(homes(digests[0]!, ['a'], 3)).toEqual(['a']);
    expect(new Set(homes(digests[0]!, ['a', 'b', 'c'], 3)).size).toBe(3);
  });

  it('spreads blobs roughly evenly', () => {
    const count = new Map<string, number>();
    for (const d of digests) for (const h of homes(d, ['a', 'b', 'c', 'd'], 1)) count.set(h, (count.get(h) ?? 0) + 1);
    for (const n of count.values()) expect(n).toBeGreaterThan(400); // 500 expected each
  });

  it('moves only the blobs whose homes include a member that left', () => {
    let moved = 0;
    for (const d of digests) {
      const before = homes(d, ['a', 'b', 'c', 'd'], 2);
      const after = homes(d, ['a', 'b', 'c'], 2);
      if (!before.includes('d')) expect(after).toEqual(before);
      else moved++;
    }
    expect(moved).toBeGreaterThan(0);
  });

  it('ranks every member: homes first, then the failover order', () => {
    const r = rank(digests[1]!, ['a', 'b', 'c']);
    expect(r.slice(0, 2)).toEqual(homes(digests[1]!, ['a', 'b', 'c'], 2));
    expect([...r].sort()).toEqual(['a', 'b', 'c']);
  });
});
