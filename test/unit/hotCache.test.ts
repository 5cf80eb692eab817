// The in-memory hot cache: its admission rules (pure), the byte bounds it keeps, and when a large blob enters memory.
import { describe, expect, it } from 'vitest';
import { admit, HotCache, isLarge, type HotLimits } from '../../node/src/storage/hotCache.js';

describe('admit', () => {
  it('admits a blob up to the per-object limit, not one byte more', () => {
    expect(admit(1, 100, 1000)).toBe(true);
    expect(admit(100, 100, 1000)).toBe(true);
    expect(admit(101, 100, 1000)).toBe(false);
  });

  it('never admits an empty blob', () => {
    expect(admit(0, 100, 1000)).toBe(false);
  });

  it('never admits a blob larger than the whole cache, whatever the per-object limit', () => {
    expect(admit(600, 1000, 500)).toBe(false);
    expect(admit(500, 1000, 500)).toBe(true);
  });
});

const limits = (maxBytes: number, maxObjectBytes: number, largeMaxBytes = 0, largeMaxObjectBytes = 0): HotLimits => ({
  maxBytes,
  maxObjectBytes,
  largeMaxBytes,
  largeMaxObjectBytes,
});

describe('isLarge', () => {
  const l = limits(1000, 100, 5000, 2000);
  it('takes what the small tier does not, up to its own per-object limit and budget', () => {
    expect(isLarge(100, l)).toBe(false); // the small tier's
    expect(isLarge(101, l)).toBe(true);
    expect(isLarge(2000, l)).toBe(true);
    expect(isLarge(2001, l)).toBe(false);
    expect(isLarge(0, l)).toBe(false);
    expect(isLarge(1500, { ...l, largeMaxBytes: 1499 })).toBe(false);
  });

  it('takes a small blob when the small tier is off', () => {
    expect(isLarge(50, { ...l, maxBytes: 0 })).toBe(true);
  });
});

describe('HotCache', () => {
  const buf = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);

  it('keeps what it admits and nothing else', () => {
    const c = new HotCache(limits(1000, 100));
    c.set('small', buf(100, 1));
    c.set('large', buf(101, 2));
    c.set('empty', buf(0, 0));
    expect(c.get('small')).toEqual(buf(100, 1));
    expect(c.get('large')).toBeUndefined();
    expect(c.get('empty')).toBeUndefined();
    expect(c.bytes).toBe(100);
  });

  it('stays within its byte bound, dropping the least recently used first', () => {
    const c = new HotCache(limits(300, 100));
    c.set('a', buf(100, 1));
    c.set('b', buf(100, 2));
    c.set('c', buf(100, 3));
    expect(c.get('a')).toBeDefined(); // now b is the least recently used
    c.set('d', buf(100, 4));
    expect(c.bytes).toBe(300);
    expect(c.get('b')).toBeUndefined();
    for (const k of ['a', 'c', 'd']) expect(c.get(k), k).toBeDefined();
  });

  it('is off at size 0: admits nothing, holds nothing', () => {
    const c = new HotCache(limits(0, 100));
    expect(c.admits(10)).toBe(false);
    c.set('a', buf(10, 1));
    expect(c.get('a')).toBeUndefined();
    expect(c.bytes).toBe(0);
  });

  describe('large tier', () => {
    const big = (fill: number): Buffer => buf(1000, fill);
    const loader = (fill: number): { load: () => Promise<Buffer>; calls: () => number } => {
      let n = 0;
      return { load: () => (n++, Promise.resolve(big(fill))), calls: () => n };
    };

    it('loads a large blob on its second read, not its first, and keeps it apart from the small tier', async () => {
      const c = new HotCache(limits(300, 100, 2500, 1000));
      const l = loader(7);
      await c.readLarge('x', 1000, l.load);
      expect(l.calls()).toBe(0);
      expect(c.get('x')).toBeUndefined();
      await c.readLarge('x', 1000, l.load);
      expect(l.calls()).toBe(1);
      expect(c.get('x')).toEqual(big(7));
      await c.readLarge('x', 1000, l.load); // in memory already: no load
      expect(l.calls()).toBe(1);
      // small blobs filling their own budget do not evict it
      for (const k of ['a', 'b', 'c', 'd']) c.set(k, buf(100, 1));
      expect(c.get('x')).toBeDefined();
      expect(c.bytes).toBe(1300);
    });

    it('stays within its budget, least recently used out first', async () => {
      const c = new HotCache(limits(300, 100, 2500, 1000));
      for (const k of ['p', 'q', 'r']) {
        await c.readLarge(k, 1000, loader(1).load);
        await c.readLarge(k, 1000, loader(1).load);
      }
      expect(c.get('p')).toBeUndefined();
      expect(c.get('q')).toBeDefined();
      expect(c.get('r')).toBeDefined();
      expect(c.bytes).toBe(2000);
    });

    it('runs one load at a time: a second read meanwhile does not load', async () => {
      const c = new HotCache(limits(300, 100, 5000, 1000));
      for (const k of ['m', 'n']) await c.readLarge(k, 1000, loader(1).load); // both seen once
      let finish: (b: Buffer) => void = () => undefined;
      const slow = c.readLarge('m', 1000, () => new Promise<Buffer>((resolve) => (finish = resolve)));
      const other = loader(2);
      await c.readLarge('n', 1000, other.load);
      expect(other.calls()).toBe(0);
      finish(big(1));
      await slow;
      expect(c.get('m')).toBeDefined();
      await c.readLarge('n', 1000, other.load); // still remembered as seen: loads now
      expect(other.calls()).toBe(1);
    });

    it('keeps nothing from a failed load, or from one of the wrong size, and loads again later', async () => {
      const c = new HotCache(limits(300, 100, 5000, 1000));
      await c.readLarge('z', 1000, loader(1).load);
      await expect(c.readLarge('z', 1000, () => Promise.reject(new Error('disk')))).rejects.toThrow('disk');
      expect(c.get('z')).toBeUndefined();
      await c.readLarge('z', 1000, () => Promise.resolve(buf(999, 1)));
      expect(c.get('z')).toBeUndefined();
      await c.readLarge('z', 1000, loader(3).load);
      expect(c.get('z')).toEqual(big(3));
    });

    it('ignores what is not its size, and is off at budget 0', async () => {
      const on = new HotCache(limits(300, 100, 5000, 1000));
      const off = new HotCache(limits(300, 100, 0, 1000));
      for (const [c, size] of [[on, 50], [on, 1001], [off, 1000]] as const) {
        const l = loader(1);
        for (let i = 0; i < 3; i++) await c.readLarge('k', size, l.load);
        expect(l.calls(), `${size}`).toBe(0);
      }
    });
  });
});
