// When the CLI shows a progress bar, pure.
import { describe, expect, it } from 'vitest';
import { PROGRESS_MIN_BYTES, shouldShowProgress } from '../../cli/src/progress.js';

describe('shouldShowProgress', () => {
  const tty = { enabled: true, json: false, stdoutIsTTY: true, stderrIsTTY: true, totalBytes: PROGRESS_MIN_BYTES + 1 };

  it('shows a bar for a large transfer at a terminal', () => {
    expect(shouldShowProgress(tty)).toBe(true);
  });

  it('never when output is piped or redirected, with --json or --no-progress, or for small or unknown sizes', () => {
    expect(shouldShowProgress({ ...tty, stdoutIsTTY: false })).toBe(false);
    expect(shouldShowProgress({ ...tty, stderrIsTTY: false })).toBe(false);
    expect(shouldShowProgress({ ...tty, json: true })).toBe(false);
    expect(shouldShowProgress({ ...tty, enabled: false })).toBe(false);
    expect(shouldShowProgress({ ...tty, totalBytes: PROGRESS_MIN_BYTES })).toBe(false);
    expect(shouldShowProgress({ ...tty, totalBytes: undefined })).toBe(false);
  });
});
