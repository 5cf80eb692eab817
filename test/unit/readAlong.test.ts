// The state a Redis lease reads along (locks/redisLease.ts readAlongFrom): Redis' reply after {1, fence, expiresAt}.
import { describe, expect, it } from 'vitest';
import { readAlongFrom } from '../../node/src/locks/redisLease.js';
import { stateFromFields } from '../../node/src/metadata/store.js';

describe('the state read with a lease', () => {
  it('file fields, then content fields when asked; nil or dropped trailing nils read as null', () => {
    const head = JSON.stringify({ version: 3, sha256: 'a'.repeat(64), size: 1, contentType: null, createdAt: 't', node: 'n', revertedFrom: null, deleted: false, deduplicated: false });
    expect(readAlongFrom([1, 7, 99, '3', head, 'x/y', '2'], true)).toEqual({ file: ['3', head], content: ['x/y', '2'] });
    expect(readAlongFrom([1, 7, 99, '3', head], true)).toEqual({ file: ['3', head], content: [null, null] });
    expect(readAlongFrom([1, 7, 99], false)).toEqual({ file: [null, null] });
    expect(readAlongFrom([1, 7, 99, null, null, 'x/y', 2], true)).toEqual({ file: [null, null], content: ['x/y', '2'] });
  });

  it('reads as the separate read did: count, head, and the content owner only when both its fields are there', () => {
    expect(stateFromFields([null, null])).toEqual({ state: { count: 0, head: undefined }, owner: undefined });
    expect(stateFromFields(['2', null], ['a/b', '1'])).toEqual({ state: { count: 2, head: undefined }, owner: { name: 'a/b', version: 1 } });
    expect(stateFromFields(['2', null], ['a/b', null]).owner).toBeUndefined();
  });
});
