// Signed peer requests: what verifies, what does not, and why (the reason), with the clock as an argument.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_SKEW_MS, signPeerRequest, verifyPeerRequest } from '../../node/src/cluster/peerAuth.js';

const SECRET = 'test-cluster-secret';
const PATH = '/internal/blobs/' + 'ab'.repeat(32);
const T = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const header = signPeerRequest(SECRET, 'GET', PATH, T, 'node-a');

/** The header with one field replaced, the signature kept. */
const withField = (name: 'id' | 't' | 'sig', value: string): string => header.replace(new RegExp(`${name}=\\S+`), `${name}=${value}`);

describe('peer request signing', () => {
  it('round trip: the header verifies for the same method, path and time, and names the sender', () => {
    expect(header).toMatch(/^v1 id=node-a t=1767225600000 sig=[0-9a-f]{64}$/);
    expect(verifyPeerRequest(SECRET, header, 'GET', PATH, T)).toEqual({ ok: true, id: 'node-a' });
    const post = signPeerRequest(SECRET, 'POST', '/internal/invalidate', T, 'node-b');
    expect(verifyPeerRequest(SECRET, post, 'POST', '/internal/invalidate', T + 1000)).toEqual({ ok: true, id: 'node-b' });
  });

  it('the secret itself is not in the header, and each request gets its own signature', () => {
    expect(header).not.toContain(SECRET);
    expect(signPeerRequest(SECRET, 'GET', PATH, T + 1, 'node-a')).not.toBe(header);
  });

  it('the raw path+query is bound exactly: another path, query, or encoding does not verify', () => {
    const q = signPeerRequest(SECRET, 'GET', '/internal/blobs/x?a=1', T, 'node-a');
    expect(verifyPeerRequest(SECRET, q, 'GET', '/internal/blobs/x?a=1', T).ok).toBe(true);
    for (const other of ['/internal/blobs/x?a=2', '/internal/blobs/x', '/internal/blobs/%78?a=1', '/internal/blobs/x?a=1&b=2']) {
      expect(verifyPeerRequest(SECRET, q, 'GET', other, T)).toEqual({ ok: false, reason: 'bad_signature' });
    }
    expect(verifyPeerRequest(SECRET, header, 'GET', '/internal/blobs/' + 'cd'.repeat(32), T)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('the method is bound: a GET header does not authorise a PUT or a HEAD', () => {
    for (const m of ['PUT', 'HEAD', 'POST', 'DELETE']) {
      expect(verifyPeerRequest(SECRET, header, m, PATH, T)).toEqual({ ok: false, reason: 'bad_signature' });
    }
    expect(verifyPeerRequest(SECRET, header, 'get', PATH, T).ok).toBe(true); // methods compare as upper case
  });

  it('a changed time, id or signature does not verify', () => {
    expect(verifyPeerRequest(SECRET, withField('t', String(T + 1)), 'GET', PATH, T)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyPeerRequest(SECRET, withField('id', 'node-b'), 'GET', PATH, T)).toEqual({ ok: false, reason: 'bad_signature' });
    const sig = /sig=(\S+)/.exec(header)![1]!;
    const flipped = (sig[0] === '0' ? '1' : '0') + sig.slice(1);
    expect(verifyPeerRequest(SECRET, withField('sig', flipped), 'GET', PATH, T)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyPeerRequest(SECRET, withField('sig', '0'.repeat(64)), 'GET', PATH, T)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('skew both ways: accepted up to the limit, refused beyond it (default 30 s)', () => {
    expect(DEFAULT_MAX_SKEW_MS).toBe(30_000);
    expect(verifyPeerRequest(SECRET, header, 'GET', PATH, T + 30_000).ok).toBe(true); // the header is 30 s old
    expect(verifyPeerRequest(SECRET, header, 'GET', PATH, T - 30_000).ok).toBe(true); // the sender's clock is 30 s ahead
    expect(verifyPeerRequest(SECRET, header, 'GET', PATH, T + 30_001)).toEqual({ ok: false, reason: 'skew' });
    expect(verifyPeerRequest(SECRET, header, 'GET', PATH, T - 30_001)).toEqual({ ok: false, reason: 'skew' });
    expect(verifyPeerRequest(SECRET, header, 'GET', PATH, T + 5000, 1000)).toEqual({ ok: false, reason: 'skew' });
    expect(verifyPeerRequest(SECRET, header, 'GET', PATH, T + 5000, 10_000).ok).toBe(true);
    expect(verifyPeerRequest(SECRET, header, 'GET', PATH, T, Number.NaN)).toEqual({ ok: false, reason: 'skew' }); // fail closed
  });

  it('a different secret neither verifies nor produces the same header', () => {
    expect(verifyPeerRequest('another-cluster-secret', header, 'GET', PATH, T)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(signPeerRequest('another-cluster-secret', 'GET', PATH, T, 'node-a')).not.toBe(header);
    expect(verifyPeerRequest('', header, 'GET', PATH, T)).toEqual({ ok: false, reason: 'no_secret' });
  });

  it('garbage headers never throw and always say why', () => {
    const cases: [string | string[] | undefined, string][] = [
      [undefined, 'missing'],
      ['', 'missing'],
      [[header, header], 'malformed'], // a repeated header
      [SECRET, 'malformed'], // an old peer sending X-Cluster-Secret's value here
      ['v1', 'malformed'],
      [header.replace('v1', 'v2'), 'malformed'],
      [header + ' ', 'malformed'],
      [' ' + header, 'malformed'],
      [header.replace(' t=', '  t='), 'malformed'],
      [header.replace(/sig=\S+/, 'sig=' + 'A'.repeat(64)), 'malformed'], // upper-case hex is not what we send
      [header.replace(/sig=\S+/, 'sig=' + 'ab'.repeat(31)), 'malformed'], // short
      [header.replace(/sig=\S+/, 'sig=' + 'ab'.repeat(33)), 'malformed'], // long
      [header.replace(/t=\d+/, 't=-5'), 'malformed'],
      [header.replace(/t=\d+/, 't=1e12'), 'malformed'],
      [header.replace(/t=\d+/, 't=' + '9'.repeat(16)), 'malformed'],
      [header.replace('id=node-a', 'id='), 'malformed'],
      [header.replace('id=node-a', 'id=node a'), 'malformed'],
      [header.replace('id=node-a', 'id=node\na'), 'malformed'],
      [header.replace('id=node-a', 'id=' + 'n'.repeat(64)), 'malformed'],
      ['x'.repeat(100_000), 'malformed'],
      ['v1 id=a t=1 sig=' + '0'.repeat(64) + '\n', 'malformed'],
    ];
    for (const [value, reason] of cases) {
      expect(() => verifyPeerRequest(SECRET, value, 'GET', PATH, T)).not.toThrow();
      expect(verifyPeerRequest(SECRET, value, 'GET', PATH, T), String(JSON.stringify(value)).slice(0, 80)).toEqual({ ok: false, reason });
    }
    // well-formed but far off in time: refused for skew before any MAC work
    expect(verifyPeerRequest(SECRET, 'v1 id=a t=0 sig=' + '0'.repeat(64), 'GET', PATH, T)).toEqual({ ok: false, reason: 'skew' });
  });

  it('signing refuses what could not be verified unambiguously', () => {
    expect(() => signPeerRequest('', 'GET', PATH, T, 'node-a')).toThrow(RangeError);
    expect(() => signPeerRequest(SECRET, 'GET', PATH, T, 'node a')).toThrow(RangeError);
    expect(() => signPeerRequest(SECRET, 'GET', PATH, T, 'node\na')).toThrow(RangeError);
    expect(() => signPeerRequest(SECRET, 'GET', PATH, T + 0.5, 'node-a')).toThrow(RangeError);
    expect(() => signPeerRequest(SECRET, 'GET', PATH, -1, 'node-a')).toThrow(RangeError);
  });
});
