// The CLI's configuration, pure: flags over the environment over defaults, every problem reported at once.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVER, loadCliConfig } from '../../cli/src/config.js';
import { CliError, EXIT } from '../../cli/src/errors.js';

describe('loadCliConfig', () => {
  it('uses flags over the environment over defaults', () => {
    expect(loadCliConfig({}, {})).toEqual({ server: DEFAULT_SERVER, token: undefined, json: false, progress: true });
    const env = { KUBECDN_URL: 'http://env:1/', KUBECDN_TOKEN: 'env-token' };
    expect(loadCliConfig({}, env)).toMatchObject({ server: 'http://env:1', token: 'env-token' });
    expect(loadCliConfig({ server: 'https://flag:2', token: 'flag-token', json: true, progress: false }, env)).toEqual({
      server: 'https://flag:2',
      token: 'flag-token',
      json: true,
      progress: false,
    });
  });

  it('treats empty environment values as unset', () => {
    expect(loadCliConfig({}, { KUBECDN_URL: '', KUBECDN_TOKEN: '' })).toMatchObject({ server: DEFAULT_SERVER, token: undefined });
  });

  it('reports every problem at once as a usage error', () => {
    let err: unknown;
    try {
      loadCliConfig({ server: 'ftp://x', token: 'has space' }, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT.usage);
    expect((err as CliError).message).toContain('KUBECDN_URL');
    expect((err as CliError).message).toContain('KUBECDN_TOKEN');
  });

  it('returns a frozen config', () => {
    expect(Object.isFrozen(loadCliConfig({}, {}))).toBe(true);
  });
});
