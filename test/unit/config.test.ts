import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../node/src/config.js';

describe('loadConfig', () => {
  it('applies defaults and freezes', () => {
    const c = loadConfig({ NODE_ID: 'n1' });
    expect(c.port).toBe(8080);
    expect(c.dedupPolicy).toBe('reject');
    expect(c.writeToken).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reports every problem at once', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'x', DEDUP_POLICY: 'maybe', REDIS_URL: 'http://x', WRITE_TOKEN: 'short', NODE_ID: 'bad id' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    for (const v of ['PORT', 'DEDUP_POLICY', 'REDIS_URL', 'WRITE_TOKEN', 'NODE_ID']) expect(problems).toContain(v);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ WRITE_TOKEN: '', NODE_ID: 'n' }).writeToken).toBeUndefined();
  });

  it('names each value as the code reads it, converted', () => {
    const c = loadConfig({ NODE_ID: 'n', DATA_DIR: 'rel/dir', LOCK_PROBE: '1', EVENTS_STREAM_MAXLEN: '200', SCRUB_BYTES_PER_SEC: '0' });
    expect(c).toMatchObject({ nodeId: 'n', dataDir: path.resolve('rel/dir'), lockProbe: true, eventsStreamMaxLen: 200, scrubBytesPerSec: 0 });
    expect(Object.keys(c)).toContain('advertiseUrl'); // unset optional settings are there, undefined
    expect(c.advertiseUrl).toBeUndefined();
  });

  it('refuses a head lease not longer than the heartbeat, with the other problems', () => {
    const problems = (env: Record<string, string>): string[] => {
      try {
        loadConfig({ NODE_ID: 'n', ...env });
      } catch (e) {
        return (e as ConfigError).problems;
      }
      return [];
    };
    expect(problems({ HEAD_LEASE_MS: '1000', HEARTBEAT_MS: '1000' })).toEqual([
      'HEAD_LEASE_MS: must be longer than HEARTBEAT_MS, or every lease lapses between heartbeats',
    ]);
    expect(problems({ HEAD_LEASE_MS: '1000', HEARTBEAT_MS: '999' })).toEqual([]);
    expect(problems({ HEAD_LEASE_MS: '500', HEARTBEAT_MS: '600', MAX_SSE_CLIENTS: '0' })).toHaveLength(2);
  });
});
