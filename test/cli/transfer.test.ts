// Download decisions, pure: the digest from an ETag, and where a download is written before it is complete.
import { describe, expect, it } from 'vitest';
import { digestFromEtag, planOutput } from '../../cli/src/transfer.js';

describe('transfer decisions', () => {
  it('reads the digest from a strong SHA-256 ETag only', () => {
    const hex = 'a'.repeat(64);
    expect(digestFromEtag(`"${hex}"`)).toBe(hex);
    expect(digestFromEtag(`W/"${hex}"`)).toBeUndefined();
    expect(digestFromEtag('"abc"')).toBeUndefined();
    expect(digestFromEtag(null)).toBeUndefined();
  });

  it('writes regular and new files beside the target and renames; devices in place', () => {
    expect(planOutput('/tmp/out/x.bin', undefined, 'r1')).toEqual({
      writePath: '/tmp/out/.x.bin.r1.kubecdn-part',
      finalPath: '/tmp/out/x.bin',
    });
    expect(planOutput('/tmp/x', { isFile: () => true }, 'r2').finalPath).toBe('/tmp/x');
    expect(planOutput('/dev/null', { isFile: () => false }, 'r3')).toEqual({ writePath: '/dev/null', finalPath: undefined });
  });
});
