// `watch --redis`, pure: a Redis URL shown in a message never carries its password.
import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../cli/src/watchRedis.js';

describe('watch --redis', () => {
  it('hides a Redis password in messages', () => {
    expect(redactUrl('redis://:s3cret@host:6379/0')).toBe('redis://:***@host:6379/0');
    expect(redactUrl('redis://host:6379')).toBe('redis://host:6379');
  });
});
