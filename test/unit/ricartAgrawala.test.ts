// Ricart-Agrawala's request order, pure: (Lamport timestamp, node id), so that every member defers to the same
// requester. It must be a strict total order on distinct requests, or two members could each defer to the other.
import { describe, expect, it } from 'vitest';
import { precedes } from '../../node/src/locks/ricartAgrawala.js';

describe('precedes', () => {
  it('an earlier timestamp goes first, whatever the ids', () => {
    expect(precedes(1, 'node-z', 2, 'node-a')).toBe(true);
    expect(precedes(2, 'node-a', 1, 'node-z')).toBe(false);
  });

  it('equal timestamps are ordered by node id', () => {
    expect(precedes(5, 'node-a', 5, 'node-b')).toBe(true);
    expect(precedes(5, 'node-b', 5, 'node-a')).toBe(false);
  });

  it('compares timestamps as numbers (10 after 9)', () => {
    expect(precedes(9, 'node-b', 10, 'node-a')).toBe(true);
  });

  it('a request does not precede itself', () => {
    expect(precedes(3, 'node-a', 3, 'node-a')).toBe(false);
  });

  it('is exactly the (timestamp, id) order: of two different requests one precedes the other, transitively', () => {
    // listed in (timestamp, id) order: x precedes y exactly when x comes first here
    const ordered = [1, 2, 10].flatMap((ts) => ['node-a', 'node-b', 'node-c'].map((id) => ({ ts, id })));
    ordered.forEach((x, i) => {
      ordered.forEach((y, j) => expect(precedes(x.ts, x.id, y.ts, y.id), `${x.ts}/${x.id} before ${y.ts}/${y.id}`).toBe(i < j));
    });
  });
});
