// The notification benchmark's SSE reading.
import { describe, expect, it } from 'vitest';
import { sseBlocks } from '../../../bench/notify.js';

describe('SSE blocks', () => {
  it('splits SSE blocks, skipping comments, keeping a partial block', () => {
    const { data, rest } = sseBlocks(': connected\nid: 0-0\n\nid: 1-0\ndata: {"v":1}\n\nid: 2-0\ndata: {"v"');
    expect(data).toEqual(['{"v":1}']);
    expect(rest).toBe('id: 2-0\ndata: {"v"');
  });
});
