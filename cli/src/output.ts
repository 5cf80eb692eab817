// Where results and notes go. Results go to stdout, as JSON (one value, one line) with --json or as text otherwise;
// notes (progress of a watch, warnings) go to stderr so stdout stays parseable.
import type { Writable } from 'node:stream';

export interface Io {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** aborted on SIGINT/SIGTERM: transfers stop (and clean up), watch ends with exit 0 */
  readonly stop: AbortSignal;
}

export class Output {
  constructor(
    readonly json: boolean,
    private readonly io: Io,
  ) {}

  /** The command's result: `value` as JSON with --json, else the text `human()` builds (skipped when empty). */
  result(value: unknown, human: () => string): void {
    if (this.json) this.line(JSON.stringify(value));
    else {
      const text = human();
      if (text !== '') this.line(text);
    }
  }

  /** One raw line on stdout (watch events). */
  line(text: string): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** A note for the person watching, on stderr. */
  note(text: string): void {
    this.io.stderr.write(`kubecdn: ${text}\n`);
  }
}
