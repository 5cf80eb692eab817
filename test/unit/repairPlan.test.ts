// The pure parts of a batched repair pass: grouping a batch by peer, batching a listing, reading ahead one batch,
// and a peer's verdict on one inventory entry.
import { describe, expect, it } from 'vitest';
import { verdict } from '../../node/src/cluster/inventory.js';
import { homes } from '../../node/src/cluster/placement.js';
import { batches, planBatch, readAhead } from '../../node/src/cluster/repairPlan.js';
import { sha256 } from '../helpers/http.js';

const blobs = Array.from({ length: 300 }, (_, i) => ({ sha256: sha256(`plan ${i}`), size: i }));
const members = ['a', 'b', 'c'];

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function* numbers(n: number, pulled: number[]): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) {
    pulled.push(i);
    yield await Promise.resolve(i);
  }
}

describe('planBatch', () => {
  it('asks every other home about exactly the blobs it should hold, once each, never self', () => {
    const plan = planBatch(blobs, members, 'a', 2);
    expect([...plan.byPeer.keys()].sort()).toEqual(['b', 'c']);
    for (const [peer, entries] of plan.byPeer) {
      const expected = blobs.filter((b) => homes(b.sha256, members, 2).includes(peer));
      expect(entries).toEqual(expected.map((b) => ({ sha256: b.sha256, size: b.size })));
    }
    expect(plan.blobs.map((p) => p.home)).toEqual(blobs.map((b) => homes(b.sha256, members, 2).includes('a')));
  });

  it('with self gone (a hand-off) every home is a peer and nothing is a home copy here', () => {
    const plan = planBatch(blobs, ['b', 'c'], 'a', 2);
    expect(plan.byPeer.get('b')).toHaveLength(blobs.length);
    expect(plan.blobs.every((p) => !p.home)).toBe(true);
  });
});

describe('batches and readAhead', () => {
  it('cuts a listing into batches of at most n, the last one shorter, nothing lost', async () => {
    const got = await collect(batches(numbers(1001, []), 250));
    expect(got.map((b) => b.length)).toEqual([250, 250, 250, 250, 1]);
    expect(got.flat()).toEqual(Array.from({ length: 1001 }, (_, i) => i));
    expect(await collect(batches(numbers(0, []), 10))).toEqual([]);
  });

  it('reads one item ahead, no more, and stops the source when the consumer stops', async () => {
    const pulled: number[] = [];
    const source = numbers(100, pulled);
    for await (const x of readAhead(source)) {
      await new Promise((r) => setTimeout(r, 1));
      expect(pulled.length).toBeLessThanOrEqual(x + 2);
      if (x === 4) break;
    }
    expect(pulled).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await source.next()).done).toBe(true); // returned
  });
});

describe('inventory verdict', () => {
  const e = { sha256: 'a'.repeat(64), size: 10 };
  it('good only for an uncondemned copy of the asked size', () => {
    expect(verdict(e, { kind: 'copy', size: 10, condemned: false })).toBe('good');
    expect(verdict(e, { kind: 'copy', size: 9, condemned: false })).toBe('bad');
    expect(verdict(e, { kind: 'copy', size: 10, condemned: true })).toBe('bad');
    expect(verdict(e, { kind: 'none' })).toBe('missing');
  });
});
