// Progress bars for transfers. Whether to show one is a pure decision (tested); the bar itself is cli-progress on
// stderr, fed by a pass-through stream that counts bytes.
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import type { SingleBar } from 'cli-progress';
import { formatBytes } from './format.js';

/** "More than a few MiB": smaller transfers finish before a bar would tell anyone anything. */
export const PROGRESS_MIN_BYTES = 4 * 1024 * 1024;

export interface ProgressSituation {
  /** false with --no-progress */
  readonly enabled: boolean;
  readonly json: boolean;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  /** undefined when unknown (stdin uploads): without a total a bar has no ETA, so none is shown */
  readonly totalBytes: number | undefined;
}

/**
 * A bar only for a person at a terminal: both stdout and stderr are TTYs (so nothing of it when output is piped or
 * redirected, including `get -o -`, whose stdout then is the data), no --json, and a known, large enough size.
 */
export function shouldShowProgress(s: ProgressSituation): boolean {
  return (
    s.enabled &&
    !s.json &&
    s.stdoutIsTTY &&
    s.stderrIsTTY &&
    s.totalBytes !== undefined &&
    s.totalBytes > PROGRESS_MIN_BYTES
  );
}

/** Bytes per second so far, for the bar's rate. Pure. */
export function rate(bytes: number, elapsedMs: number): number {
  return elapsedMs <= 0 ? 0 : (bytes * 1000) / elapsedMs;
}

/** A pass-through stream that moves a bar on stderr, or only passes bytes when there is no bar. */
export class ProgressMeter extends Transform {
  private bytes = 0;
  private readonly started = Date.now();

  constructor(private readonly bar: SingleBar | undefined) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.bar?.update(this.bytes, {
      done: formatBytes(this.bytes),
      speed: formatBytes(Math.round(rate(this.bytes, Date.now() - this.started))),
    });
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.stop();
    done();
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    this.stop();
    done(err);
  }

  private stop(): void {
    if (this.bar?.isActive) this.bar.stop();
  }
}

/** A meter with a bar when `show`, else a plain pass-through. cli-progress is loaded only when a bar is shown. */
export async function progressMeter(show: boolean, label: string, total: number, stderr: Writable): Promise<ProgressMeter> {
  if (!show) return new ProgressMeter(undefined);
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      stream: stderr,
      format: `${label} {bar} {percentage}% | {done} of {size} | {speed}/s | ETA {eta_formatted}`,
      hideCursor: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { done: formatBytes(0), size: formatBytes(total), speed: formatBytes(0) });
  return new ProgressMeter(bar);
}

/**
 * One bar for a whole tree (sync, put -r, get -r): the bytes of every transfer in flight add up on it, and the
 * files finished are counted beside them. Each transfer passes its bytes through its own `meter()`.
 */
export class TreeProgress {
  private bytes = 0;
  private files = 0;
  private readonly started = Date.now();

  constructor(
    private readonly bar: SingleBar | undefined,
    private readonly totalFiles: number,
  ) {}

  meter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        this.bytes += chunk.length;
        this.update();
        done(null, chunk);
      },
    });
  }

  fileDone(): void {
    this.files++;
    this.update();
  }

  stop(): void {
    if (this.bar?.isActive) this.bar.stop();
  }

  private update(): void {
    this.bar?.update(this.bytes, {
      done: formatBytes(this.bytes),
      files: `${this.files}/${this.totalFiles}`,
      speed: formatBytes(Math.round(rate(this.bytes, Date.now() - this.started))),
    });
  }
}

export async function treeProgress(show: boolean, label: string, totalBytes: number, totalFiles: number, stderr: Writable): Promise<TreeProgress> {
  if (!show) return new TreeProgress(undefined, totalFiles);
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      stream: stderr,
      format: `${label} {bar} {percentage}% | {files} files | {done} of {size} | {speed}/s | ETA {eta_formatted}`,
      hideCursor: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalBytes, 0, { done: formatBytes(0), size: formatBytes(totalBytes), files: `0/${totalFiles}`, speed: formatBytes(0) });
  return new TreeProgress(bar, totalFiles);
}
