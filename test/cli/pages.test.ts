// Following a listing's cursor, pure: to the end, or up to a limit, asking only for what is still wanted.
import { describe, expect, it } from 'vitest';
import { collectPages, MAX_PAGE, type Page } from '../../cli/src/pages.js';

describe('collectPages', () => {
  // A fake listing of 2500 numbers, served like the node: at most `want` per page, cursor = last item, sometimes a
  // page shorter than asked (the node drops deleted names from a page).
  const all = Array.from({ length: 2500 }, (_, i) => i + 1);
  const calls: Array<[string | undefined, number]> = [];
  const fetchPage = (cursor: string | undefined, want: number): Promise<Page<number>> => {
    calls.push([cursor, want]);
    const start = cursor === undefined ? 0 : Number(cursor);
    const items = all.slice(start, start + want).filter((n) => n !== 1500);
    const end = start + want;
    return Promise.resolve({ items, next: end < all.length ? String(end) : null });
  };

  it('follows the cursor to the end', async () => {
    calls.length = 0;
    const items = await collectPages(fetchPage, undefined);
    expect(items).toHaveLength(2499);
    expect(items.at(-1)).toBe(2500);
    expect(calls).toEqual([
      [undefined, MAX_PAGE],
      ['1000', MAX_PAGE],
      ['2000', MAX_PAGE],
    ]);
  });

  it('stops at the limit, asking only for what is still wanted', async () => {
    calls.length = 0;
    expect(await collectPages(fetchPage, 1200)).toEqual(all.slice(0, 1201).filter((n) => n !== 1500).slice(0, 1200));
    expect(calls).toEqual([
      [undefined, 1000],
      ['1000', 200],
    ]);
  });
});
