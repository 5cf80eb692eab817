import { describe, expect, it } from 'vitest';
import { readFailure } from '../../cli/src/client.js';
import { ERRORS, EXIT, fromApiFailure, fromNetworkError, type ApiFailure } from '../../cli/src/errors.js';
import { catalogue } from '../../node/src/errors.js';

const ctx = { server: 'http://cdn.test:8080', name: 'site/index.html' };
const failure = (status: number, code?: string, details: Record<string, unknown> = {}, message?: string): ApiFailure => ({
  status,
  code,
  message,
  details,
});

describe('error catalogue', () => {
  it('maps every code the node can return', () => {
    const missing = Object.keys(catalogue).filter((code) => ERRORS[code] === undefined);
    expect(missing).toEqual([]);
  });

  it('gives each node code the exit code of its kind', () => {
    const byStatus = (code: keyof typeof catalogue): number => fromApiFailure(failure(catalogue[code].status, code), ctx).exitCode;
    expect(byStatus('file_not_found')).toBe(EXIT.notFound);
    expect(byStatus('version_not_found')).toBe(EXIT.notFound);
    expect(byStatus('file_deleted')).toBe(EXIT.notFound);
    expect(byStatus('duplicate_content')).toBe(EXIT.conflict);
    expect(byStatus('precondition_failed')).toBe(EXIT.conflict);
    expect(byStatus('unauthorized')).toBe(EXIT.auth);
    expect(byStatus('forbidden')).toBe(EXIT.auth);
    expect(byStatus('invalid_name')).toBe(EXIT.usage);
    expect(byStatus('digest_mismatch')).toBe(EXIT.integrity);
    expect(byStatus('unavailable')).toBe(EXIT.server);
    expect(byStatus('internal')).toBe(EXIT.server);
    expect(byStatus('route_not_found')).toBe(EXIT.server);
  });

  it('a duplicate names the existing file and version', () => {
    const e = fromApiFailure(failure(409, 'duplicate_content', { existing: { name: 'old/logo.png', version: 4 } }), ctx);
    expect(e.exitCode).toBe(3);
    expect(e.code).toBe('duplicate_content');
    expect(e.message).toContain('"old/logo.png" version 4');
  });

  it('a held lock (423) names the holder and the expiry, whatever its code', () => {
    const details = { holder: 'deploy-bot', expiresAt: '2030-01-01T00:00:00.000Z' };
    for (const code of ['locked', undefined, 'some_future_code']) {
      const e = fromApiFailure(failure(423, code, details), ctx);
      expect(e.exitCode).toBe(EXIT.conflict);
      expect(e.message).toContain('deploy-bot');
      expect(e.message).toContain('2030-01-01T00:00:00.000Z');
    }
  });

  it('lock token problems are conflicts that name the file', () => {
    for (const code of ['lock_not_held', 'stale_fence']) {
      const e = fromApiFailure(failure(409, code), ctx);
      expect(e.exitCode, code).toBe(EXIT.conflict);
      expect(e.message, code).toContain('"site/index.html"');
    }
  });

  it('a missing route on a locks or cluster command says the server does not support it yet', () => {
    const e = fromApiFailure(failure(404, 'route_not_found'), { ...ctx, feature: 'locks' });
    expect(e.exitCode).toBe(5);
    expect(e.message).toMatch(/does not support locks yet/);
    expect(fromApiFailure(failure(404, 'route_not_found'), { ...ctx, feature: 'cluster' }).message).toMatch(/cluster yet/);
  });

  it('names the file and version it was asked for', () => {
    expect(fromApiFailure(failure(404, 'file_not_found'), ctx).message).toContain('"site/index.html"');
    expect(fromApiFailure(failure(404, 'version_not_found'), { ...ctx, version: 7 }).message).toContain('no version 7');
  });

  it('falls back on the status for codes it does not know, keeping the server message', () => {
    const e = fromApiFailure(failure(418, 'teapot', {}, 'short and stout'), ctx);
    expect(e.exitCode).toBe(EXIT.usage);
    expect(e.message).toContain('short and stout');
    expect(fromApiFailure(failure(502), ctx).exitCode).toBe(EXIT.server);
    expect(fromApiFailure(failure(403), ctx).exitCode).toBe(EXIT.auth);
    expect(fromApiFailure(failure(404), ctx).exitCode).toBe(EXIT.notFound);
    expect(fromApiFailure(failure(409), ctx).exitCode).toBe(EXIT.conflict);
  });

  it('an unreachable server names the URL and the reason', () => {
    const err = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const e = fromNetworkError(err, 'http://10.0.0.9:8080/files/a');
    expect(e.exitCode).toBe(5);
    expect(e.message).toContain('http://10.0.0.9:8080/files/a');
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('exit codes are distinct', () => {
    const codes = Object.values(EXIT);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('readFailure', () => {
  it('reads the catalogue body, keeping extra fields as details', async () => {
    const body = { error: { code: 'duplicate_content', message: 'dup', existing: { name: 'a', version: 1 } } };
    const f = await readFailure(new Response(JSON.stringify(body), { status: 409 }));
    expect(f).toEqual({ status: 409, code: 'duplicate_content', message: 'dup', details: { existing: { name: 'a', version: 1 } } });
  });

  it('copes with a body that is not ours', async () => {
    const f = await readFailure(new Response('<html>Bad Gateway</html>', { status: 502 }));
    expect(f).toEqual({ status: 502, code: undefined, message: undefined, details: {} });
  });
});
