// The in-memory hot cache: its admission rule (pure) and the byte bound it keeps.
import { describe, expect, it } from 'vitest';
import { admit, HotCache } from '../../node/src/storage/hotCache.js';

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

describe('HotCache', () => {
  const buf = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);

  it('keeps what it admits and nothing else', () => {
    const c = new HotCache(1000, 100);
    c.set('small', buf(100, 1));
    c.set('large', buf(101, 2));
    c.set('empty', buf(0, 0));
    expect(c.get('small')).toEqual(buf(100, 1));
    expect(c.get('large')).toBeUndefined();
    expect(c.get('empty')).toBeUndefined();
    expect(c.bytes).toBe(100);
  });

  it('stays within its byte bound, dropping the least recently used first', () => {
    const c = new HotCache(300, 100);
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
    const c = new HotCache(0, 100);
    expect(c.admits(10)).toBe(false);
    c.set('a', buf(10, 1));
    expect(c.get('a')).toBeUndefined();
    expect(c.bytes).toBe(0);
  });
});
