// Following a cursor across pages until the items run out or `limit` is reached. The fetching is passed in, so the
// loop is tested without a server.

export const MAX_PAGE = 1000; // the node's largest page

export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

export async function collectPages<T>(
  fetchPage: (cursor: string | undefined, want: number) => Promise<Page<T>>,
  limit: number | undefined,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const want = Math.min(MAX_PAGE, limit === undefined ? MAX_PAGE : limit - items.length);
    const page = await fetchPage(cursor, want);
    items.push(...page.items.slice(0, want));
    cursor = page.next ?? undefined;
  } while (cursor !== undefined && (limit === undefined || items.length < limit));
  return items;
}
