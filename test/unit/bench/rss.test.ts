// Memory as the benchmark reads it from /proc/<pid>/status.
import { describe, expect, it } from 'vitest';
import { statusField } from '../../../bench/rss.js';

describe('/proc status fields', () => {
  it('reads VmHWM / VmRSS in bytes', () => {
    const status = 'Name:\tnode\nVmHWM:\t  123456 kB\nVmRSS:\t   1000 kB\n';
    expect(statusField(status, 'VmHWM')).toBe(123456 * 1024);
    expect(statusField(status, 'VmRSS')).toBe(1000 * 1024);
    expect(statusField(status, 'VmSwap')).toBeUndefined();
  });
});
