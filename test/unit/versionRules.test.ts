import { describe, expect, it } from 'vitest';
import type { FileState, VersionRecord } from '../../node/src/metadata/types.js';
import { checkPreconditions, decide, etagListMatches, type Context, type Intent } from '../../node/src/metadata/versionRules.js';

const ctx: Context = { policy: 'reject', node: 'n1', now: new Date('2026-01-01T00:00:00Z') };
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

const rec = (version: number, sha256: string | null, extra: Partial<VersionRecord> = {}): VersionRecord => ({
  version,
  sha256,
  size: sha256 ? 10 : 0,
  contentType: 'text/plain',
  createdAt: '2026-01-01T00:00:00.000Z',
  node: 'n0',
  revertedFrom: null,
  deleted: sha256 === null,
  deduplicated: false,
  ...extra,
});
const none: FileState = { count: 0, head: undefined };
const live: FileState = { count: 1, head: rec(1, A) };
const deleted: FileState = { count: 2, head: rec(2, null) };
const write = (sha256: string, size = 10, extra: Partial<Extract<Intent, { kind: 'write' }>> = {}): Intent => ({
  kind: 'write',
  sha256,
  size,
  contentType: 'text/plain',
  ...extra,
});

describe('decide: writes', () => {
  it('a new name commits file_added and claims the content', () => {
    const d = decide(none, undefined, write(A), ctx);
    expect(d).toMatchObject({ action: 'commit', event: 'file_added', contentMode: 'claim', listed: true });
  });

  it('new content on an existing name is file_updated', () => {
    expect(decide(live, undefined, write(B), ctx)).toMatchObject({ action: 'commit', event: 'file_updated' });
  });

  it('the same bytes as the head change nothing', () => {
    expect(decide(live, { name: 'x', version: 1 }, write(A), ctx)).toMatchObject({ action: 'unchanged' });
  });

  it('content stored elsewhere is refused under reject, naming the first owner', () => {
    const d = decide(none, { name: 'other', version: 3 }, write(B), ctx);
    expect(d.action).toBe('reject');
    if (d.action === 'reject') {
      expect(d.error.code).toBe('duplicate_content');
      expect(d.error.details).toEqual({ existing: { name: 'other', version: 3 } });
    }
  });

  it('content from an older version of the same file is a duplicate too', () => {
    const d = decide({ count: 2, head: rec(2, B) }, { name: 'f', version: 1 }, write(A), ctx);
    expect(d).toMatchObject({ action: 'reject' });
  });

  it('under link, a duplicate commits a deduplicated version without claiming', () => {
    const d = decide(none, { name: 'other', version: 3 }, write(B), { ...ctx, policy: 'link' });
    expect(d).toMatchObject({ action: 'commit', contentMode: 'none', version: { deduplicated: true } });
  });

  it('an empty file is never a duplicate', () => {
    const d = decide(none, { name: 'other-empty', version: 1 }, write(B, 0), ctx);
    expect(d).toMatchObject({ action: 'commit', contentMode: 'claim-if-absent', version: { deduplicated: false } });
  });

  it('writing after a delete marker is file_added', () => {
    expect(decide(deleted, undefined, write(B), ctx)).toMatchObject({ action: 'commit', event: 'file_added' });
  });
});

describe('decide: preconditions', () => {
  it('If-None-Match: * refuses an existing file and allows a deleted one', () => {
    expect(decide(live, undefined, write(B, 10, { ifNoneMatch: '*' }), ctx)).toMatchObject({ action: 'reject' });
    expect(decide(deleted, undefined, write(B, 10, { ifNoneMatch: '*' }), ctx)).toMatchObject({ action: 'commit' });
  });

  it('If-Match needs the current strong ETag', () => {
    expect(decide(live, undefined, write(B, 10, { ifMatch: `"${A}"` }), ctx)).toMatchObject({ action: 'commit' });
    expect(decide(live, undefined, write(B, 10, { ifMatch: `"${B}"` }), ctx)).toMatchObject({ action: 'reject' });
    expect(decide(live, undefined, write(B, 10, { ifMatch: `W/"${A}"` }), ctx)).toMatchObject({ action: 'reject' });
    expect(decide(none, undefined, write(B, 10, { ifMatch: '*' }), ctx)).toMatchObject({ action: 'reject' });
  });

  it('preconditions are checked before the unchanged rule', () => {
    expect(checkPreconditions(live.head, `"${B}"`, undefined)?.code).toBe('precondition_failed');
  });
});

describe('decide: revert and delete', () => {
  it('revert copies the target content and records where from', () => {
    const state: FileState = { count: 2, head: rec(2, B) };
    const d = decide(state, undefined, { kind: 'revert', to: 1, target: rec(1, A) }, ctx);
    expect(d).toMatchObject({ action: 'commit', event: 'file_reverted', version: { sha256: A, revertedFrom: 1 } });
  });

  it('revert to the current content changes nothing; to a delete marker or a missing version is refused', () => {
    expect(decide(live, undefined, { kind: 'revert', to: 1, target: rec(1, A) }, ctx)).toMatchObject({ action: 'unchanged' });
    const toMarker = decide(deleted, undefined, { kind: 'revert', to: 2, target: rec(2, null) }, ctx);
    expect(toMarker.action === 'reject' && toMarker.error.code).toBe('delete_marker');
    const missing = decide(live, undefined, { kind: 'revert', to: 9, target: undefined }, ctx);
    expect(missing.action === 'reject' && missing.error.code).toBe('version_not_found');
    const noFile = decide(none, undefined, { kind: 'revert', to: 1, target: undefined }, ctx);
    expect(noFile.action === 'reject' && noFile.error.code).toBe('file_not_found');
  });

  it('revert restores a deleted file', () => {
    const d = decide(deleted, undefined, { kind: 'revert', to: 1, target: rec(1, A) }, ctx);
    expect(d).toMatchObject({ action: 'commit', listed: true });
  });

  it('delete writes a marker and unlists; deleting twice or a missing file is 404', () => {
    expect(decide(live, undefined, { kind: 'delete' }, ctx)).toMatchObject({
      action: 'commit',
      event: 'file_deleted',
      listed: false,
      version: { deleted: true, sha256: null },
    });
    const again = decide(deleted, undefined, { kind: 'delete' }, ctx);
    expect(again.action === 'reject' && again.error.code).toBe('file_deleted');
    const missing = decide(none, undefined, { kind: 'delete' }, ctx);
    expect(missing.action === 'reject' && missing.error.code).toBe('file_not_found');
  });
});

describe('etagListMatches: the one entity-tag list parser (If-Match, If-None-Match)', () => {
  const etag = `"${A}"`;
  it('finds the tag in a list with optional whitespace, or "*"; ignores empty members', () => {
    for (const h of [etag, `"x", ${etag}`, `"x",${etag}`, ` \t${etag}\t `, `, ,${etag},`, '*', '"x", *']) {
      expect(etagListMatches(h, etag, 'strong'), h).toBe(true);
    }
    for (const h of ['', ',', '"x"', `"${B}"`, `${etag.slice(0, -1)}`, `"${A}a"`, `W/${etag}x`, '**']) {
      expect(etagListMatches(h, etag, 'weak'), h).toBe(false);
    }
  });
  it('weak comparison lets W/"x" match "x"; strong comparison never matches a weak tag', () => {
    expect(etagListMatches(`W/${etag}`, etag, 'weak')).toBe(true);
    expect(etagListMatches(`"x", W/${etag}`, etag, 'weak')).toBe(true);
    expect(etagListMatches(`W/${etag}`, etag, 'strong')).toBe(false);
  });
  it('If-None-Match on a write compares weakly (RFC 9110 13.1.2); If-Match strongly (13.1.1)', () => {
    expect(checkPreconditions(live.head, undefined, `W/"${A}"`)?.code).toBe('precondition_failed');
    expect(checkPreconditions(live.head, `W/"${A}"`, undefined)?.code).toBe('precondition_failed');
    expect(checkPreconditions(live.head, `"x", "${A}"`, `"${B}"`)).toBeUndefined();
    expect(checkPreconditions(deleted.head, undefined, `"${A}"`)).toBeUndefined();
  });
});

describe('a delete marker is not live, wherever the rule is asked', () => {
  it('delete of a deleted file, revert to a marker, If-Match on a deleted file', () => {
    const del = decide(deleted, undefined, { kind: 'delete' }, ctx);
    expect(del.action === 'reject' && del.error.code).toBe('file_deleted');
    const marker = decide(live, undefined, { kind: 'revert', to: 1, target: rec(1, null) }, ctx);
    expect(marker.action === 'reject' && marker.error.code).toBe('delete_marker');
    expect(checkPreconditions(deleted.head, '*', undefined)?.code).toBe('precondition_failed');
  });
});
