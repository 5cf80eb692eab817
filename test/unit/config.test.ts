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
});
