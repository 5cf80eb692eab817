// The error catalogue is a public contract: every code is documented with its status, and an ApiError answers with
// the catalogue's status and the {"error":{"code","message",...}} body.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiError, apiError, catalogue } from '../../node/src/errors.js';
import { ROOT } from '../helpers/node.js';

describe('error catalogue', () => {
  it('every error code is documented in docs/api.md with its status', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8');
    for (const [code, { status }] of Object.entries(catalogue)) {
      expect(doc, code).toMatch(new RegExp('`' + code + '`\\s*\\|\\s*' + status));
    }
  });

  it('every code is snake_case with an error status and a sentence for a message', () => {
    for (const [code, { status, message }] of Object.entries(catalogue)) {
      expect(code).toMatch(/^[a-z]+(_[a-z0-9]+)*$/);
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      expect(message, code).toMatch(/^[A-Z].*\.$/);
    }
  });

  it('an ApiError takes its status and default message from the catalogue, and puts details beside the code', () => {
    const e = apiError('duplicate_content', undefined, { existing: { name: 'a', version: 1 } });
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(catalogue.duplicate_content.status);
    expect(e.toBody()).toEqual({ error: { code: 'duplicate_content', message: catalogue.duplicate_content.message, existing: { name: 'a', version: 1 } } });
    expect(apiError('locked', 'held by x').toBody().error.message).toBe('held by x');
  });
});
