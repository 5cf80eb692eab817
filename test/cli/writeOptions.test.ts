// Options every write command shares, pure: a lock token and a wait.
import { describe, expect, it } from 'vitest';
import { writeExtras } from '../../cli/src/writeOptions.js';

describe('write options', () => {
  it('a lock token becomes X-Lock-Token, a wait becomes ?waitMs', () => {
    expect(writeExtras({})).toEqual({ headers: {}, query: {} });
    expect(writeExtras({ lockToken: 't0k', wait: 1500 })).toEqual({ headers: { 'X-Lock-Token': 't0k' }, query: { waitMs: 1500 } });
  });
});
