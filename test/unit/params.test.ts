// Every request parameter's rule and the catalogue error its bad values answer: codes and messages are API.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../node/src/errors.js';
import {
  compatAdd,
  compatQuery,
  compatWrite,
  eventsFrom,
  leaseTokenOf,
  listQuery,
  lockOptions,
  lockRequest,
  lockTtlMs,
  parseVersion,
  putParams,
  revertTarget,
  versionsQuery,
  wantsDownload,
  type Input,
} from '../../node/src/http/params.js';
import { longestWaitMs } from '../../node/src/http/httpRules.js';

const req = (query: Record<string, unknown> = {}, headers: Record<string, string | string[]> = {}, body?: unknown): Input & { body?: unknown } => ({
  query,
  headers,
  body,
});

/** The error `fn` throws, as [code, message]. */
function refusal(fn: () => unknown): [string, string] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return [err.code, err.message];
    throw err;
  }
  throw new Error('accepted');
}

const VERSION_MSG = 'The version must be a whole number of at least 1.';

describe('parseVersion', () => {
  it.each([
    ['1', 1],
    ['42', 42],
    [7, 7],
    ['999999999999999', 999_999_999_999_999],
  ] as const)('%j is %d', (raw, want) => expect(parseVersion(raw)).toBe(want));

  it.each([['0'], ['-1'], ['01'], ['1.5'], [1.5], [0], ['abc'], [''], ['9999999999999999'], [['1', '2']], [undefined], [null], [1e21]])(
    '%j is invalid_version',
    (raw) => expect(refusal(() => parseVersion(raw))).toEqual(['invalid_version', VERSION_MSG]),
  );
});

describe('?download= on a file read', () => {
  it('is 1 once (attachment) or absent (inline); anything else is invalid_request', () => {
    expect(wantsDownload([])).toBe(false);
    expect(wantsDownload(['1'])).toBe(true);
    for (const bad of [['0'], [''], ['true'], ['1', '1']]) {
      expect(refusal(() => wantsDownload(bad))).toEqual(['invalid_request', 'download must be 1, given once, or left out.']);
    }
  });
});

describe('listings', () => {
  it('defaults: no prefix, no cursor, 100 per page; the prefix in NFC', () => {
    expect(listQuery(req())).toEqual({ prefix: '', cursor: undefined, limit: 100 });
    expect(listQuery(req({ prefix: 'cafe\u0301', cursor: 'b', limit: '1000' }))).toEqual({ prefix: 'caf\u00e9', cursor: 'b', limit: 1000 });
  });

  it.each([
    [{ limit: '0' }, 'limit must be a whole number from 1 to 1000.'],
    [{ limit: '1001' }, 'limit must be a whole number from 1 to 1000.'],
    [{ limit: '12345' }, 'limit must be a whole number from 1 to 1000.'],
    [{ limit: ['1', '2'] }, 'limit must be a whole number from 1 to 1000.'],
    [{ limit: '1e2' }, 'limit must be a whole number from 1 to 1000.'],
    [{ prefix: ['a', 'b'] }, 'prefix must be given once.'],
    [{ prefix: 'a\u0000' }, 'prefix must be at most 1024 bytes without control characters.'],
    [{ prefix: 'é'.repeat(513) }, 'prefix must be at most 1024 bytes without control characters.'],
    [{ cursor: ['a', 'b'] }, 'cursor must be given once.'],
  ])('%j: invalid_request', (query, message) => expect(refusal(() => listQuery(req(query)))).toEqual(['invalid_request', message]));

  it('a version listing pages by version', () => {
    expect(versionsQuery(req())).toEqual({ cursor: undefined, limit: 100 });
    expect(versionsQuery(req({ cursor: '5', limit: '2' }))).toEqual({ cursor: 5, limit: 2 });
    expect(refusal(() => versionsQuery(req({ cursor: 'x' })))).toEqual(['invalid_version', VERSION_MSG]);
    expect(refusal(() => versionsQuery(req({ cursor: ['1', '2'] })))).toEqual(['invalid_version', VERSION_MSG]);
  });
});

const MAX_WAIT = 29_000;

describe('writes', () => {
  const hex = 'ab'.repeat(32);

  it('PUT reads its headers, the digest in lowercase, and the lock options', () => {
    const p = putParams(
      req({ waitMs: '250' }, { 'x-content-sha256': hex.toUpperCase(), 'if-match': '"e"', 'content-type': 'text/plain', 'x-lock-token': 't' }),
      MAX_WAIT,
    );
    expect(p).toEqual({
      expectedSha256: hex,
      ifMatch: '"e"',
      ifNoneMatch: undefined,
      contentType: 'text/plain',
      lock: { token: 't', waitMs: 250 },
    });
    expect(putParams(req(), MAX_WAIT).lock).toEqual({ token: undefined, waitMs: undefined });
    expect(lockOptions(req({}, { 'x-lock-token': '' }), MAX_WAIT)).toEqual({ token: undefined, waitMs: undefined });
  });

  it('a wait longer than the connection may stay idle is cut to what it allows (the answer must arrive before the close)', () => {
    expect(lockOptions(req({ waitMs: '9999999' }), MAX_WAIT).waitMs).toBe(MAX_WAIT);
    expect(lockOptions(req({ waitMs: String(MAX_WAIT - 1) }), MAX_WAIT).waitMs).toBe(MAX_WAIT - 1);
    expect(lockRequest(req({ waitMs: '9999999' }), 'api@n', MAX_WAIT).waitMs).toBe(MAX_WAIT);
    expect(longestWaitMs(30_000)).toBe(29_000);
    expect(longestWaitMs(500)).toBe(400);
  });

  it.each([
    [{}, { 'x-content-sha256': 'xyz' }, ['invalid_digest', 'X-Content-SHA256 must be 64 hexadecimal characters.']],
    [{}, { 'x-content-sha256': [hex, hex] }, ['invalid_header', 'x-content-sha256 must be given once.']],
    [{}, { 'if-match': ['"a"', '"b"'] }, ['invalid_header', 'if-match must be given once.']],
    [{}, { 'if-none-match': ['*', '*'] }, ['invalid_header', 'if-none-match must be given once.']],
    [{}, { 'x-lock-token': ['a', 'b'] }, ['invalid_header', 'x-lock-token must be given once.']],
    [{ waitMs: '-1' }, {}, ['invalid_request', 'waitMs must be a whole number of milliseconds (at most 9999999).']],
    [{ waitMs: '10000000' }, {}, ['invalid_request', 'waitMs must be a whole number of milliseconds (at most 9999999).']],
    [{ waitMs: ['1', '2'] }, {}, ['invalid_request', 'waitMs must be a whole number of milliseconds (at most 9999999).']],
  ] as const)('PUT %j %j is refused', (query, headers, want) =>
    expect(refusal(() => putParams(req(query, headers as Record<string, string | string[]>), MAX_WAIT))).toEqual(want),
  );

  it('revert takes {"version": N}', () => {
    expect(revertTarget({ version: 3 })).toBe(3);
    expect(revertTarget({ version: '3' })).toBe(3);
    for (const bad of [{}, [1], null, 'x']) {
      expect(refusal(() => revertTarget(bad))).toEqual(['invalid_request', 'The body must be {"version": N}.']);
    }
    expect(refusal(() => revertTarget({ version: 'one' }))).toEqual(['invalid_version', VERSION_MSG]);
  });
});

describe('the lock API', () => {
  const TTL_MSG = 'The body must be {"ttlMs": 100-3600000} (optional).';

  it('defaults: a 30 s lease, no wait, the node as holder; a long holder name is cut', () => {
    expect(lockRequest(req(), 'api@n', MAX_WAIT)).toEqual({ ttlMs: 30_000, waitMs: 0, holder: 'api@n' });
    const given = lockRequest(req({ waitMs: '5' }, { 'x-lock-holder': 'h'.repeat(200) }, { ttlMs: 1000 }), 'api@n', MAX_WAIT);
    expect(given).toEqual({ ttlMs: 1000, waitMs: 5, holder: 'h'.repeat(128) });
    expect(lockRequest(req({}, { 'x-lock-holder': ['a', 'b'] }), 'api@n', MAX_WAIT).holder).toBe('api@n');
  });

  it.each([[{ ttlMs: 99 }], [{ ttlMs: 3_600_001 }], [{ ttlMs: 1.5 }], [{ ttlMs: '1000' }], [{ ttlMs: 1000, other: 1 }], [[1]], ['x']])(
    'body %j: invalid_request',
    (body) => expect(refusal(() => lockTtlMs(body))).toEqual(['invalid_request', TTL_MSG]),
  );

  it('refresh and release need X-Lock-Token', () => {
    expect(leaseTokenOf(req({}, { 'x-lock-token': 'tok' }))).toBe('tok');
    for (const headers of [{}, { 'x-lock-token': '' }, { 'x-lock-token': ['a', 'b'] }] as Record<string, string | string[]>[]) {
      expect(refusal(() => leaseTokenOf(req({}, headers)))).toEqual(['invalid_request', 'X-Lock-Token is required.']);
    }
  });
});

describe('the original API', () => {
  it('query parameters are required, once', () => {
    expect(compatQuery(req({ filename: 'a' }), 'filename')).toBe('a');
    for (const query of [{}, { filename: ['a', 'b'] }]) {
      expect(refusal(() => compatQuery(req(query), 'filename'))).toEqual([
        'invalid_request',
        'The query parameter filename is required, once.',
      ]);
    }
  });

  it('bodies', () => {
    expect(compatWrite({ file_name: 'a', file_content: 'b' })).toEqual({ file_name: 'a', file_content: 'b' });
    expect(refusal(() => compatWrite({ file_name: 'a', file_content: 5 }))).toEqual([
      'invalid_request',
      'The body must be {"file_name": "...", "file_content": "..."}.',
    ]);
    expect(compatAdd({ filename: 'a' })).toEqual({ filename: 'a', content: '' });
    expect(refusal(() => compatAdd({ content: 'x' }))).toEqual(['invalid_request', 'The body must be {"filename": "...", "content"?: "..."}.']);
  });
});

describe('events', () => {
  it('Last-Event-ID wins over ?from=; an empty one does not count; ?from= twice is refused', () => {
    expect(eventsFrom(req())).toBeUndefined();
    expect(eventsFrom(req({ from: '1-0' }))).toBe('1-0');
    expect(eventsFrom(req({ from: '1-0' }, { 'last-event-id': '2-0' }))).toBe('2-0');
    expect(eventsFrom(req({ from: '1-0' }, { 'last-event-id': '' }))).toBe('1-0');
    expect(refusal(() => eventsFrom(req({ from: ['1-0', '2-0'] }, { 'last-event-id': '2-0' })))).toEqual([
      'invalid_request',
      'from must be given once.',
    ]);
  });
});
