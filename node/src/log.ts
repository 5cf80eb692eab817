// The one pino instance of the file node. Child loggers carry the request id or the component.
import { pino, type Logger } from 'pino';

export type { Logger };

// An ISO timestamp costs ~0.4 us to format; at tens of thousands of lines a second the same millisecond repeats.
let lastMs = -1;
let lastIso = '';
function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

// Lines are gathered up to LOG_BUFFER_CHARS and written at least every LOG_FLUSH_MS (and at exit), like nginx's
// `access_log ... buffer= flush=`: one write syscall per ~350 request lines instead of one per request (at 16 KiB,
// ~85 lines, the writes to a log file were ~0.8 us of kernel time per cache hit). A SIGKILL loses at most one buffer
// (at most a second of lines). The gathering is ours (an array of lines, joined once): sonic-boom's own minLength
// buffering measures the whole pending buffer on every write. One destination for every logger of the process:
// there is one stdout.
const LOG_BUFFER_CHARS = 64 * 1024;
const LOG_FLUSH_MS = 1000;

interface LineSink {
  write(line: string): void;
  flush(): void;
}

let stdout: LineSink | undefined;
function destination(): LineSink {
  if (stdout === undefined) {
    const out = pino.destination({ dest: 1, sync: true }); // sonic-boom: writes, retrying EAGAIN on a full pipe
    let lines: string[] = [];
    let chars = 0;
    const flush = (): void => {
      if (lines.length === 0) return;
      const text = lines.join('');
      lines = [];
      chars = 0;
      out.write(text);
    };
    setInterval(flush, LOG_FLUSH_MS).unref();
    process.on('exit', flush);
    stdout = {
      write(line) {
        lines.push(line);
        chars += line.length;
        if (chars >= LOG_BUFFER_CHARS) flush();
      },
      flush,
    };
  }
  return stdout;
}

export function createLogger(level: string, nodeId: string): Logger {
  return pino(
    {
      level,
      base: { node: nodeId },
      timestamp: () => `,"time":"${isoNow()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination(),
  );
}

/**
 * The per-request access line, written to the logger's own destination without pino's object serialization (which
 * was the largest single cost of a cache hit after the socket write). `write` takes the fields after the bindings,
 * already JSON-encoded, without braces.
 */
export interface AccessLog {
  enabled(): boolean;
  write(fields: string): void;
}

/** For a logger from createLogger: its level and bindings, and the process's one destination. */
export function accessLog(log: Logger): AccessLog {
  const sink = destination();
  const bindings = JSON.stringify(log.bindings()).slice(1, -1);
  const prefix = bindings === '' ? '' : `${bindings},`;
  return {
    enabled: () => log.isLevelEnabled('info'),
    write: (fields) => sink.write(`{"level":"info","time":"${isoNow()}",${prefix}${fields}}\n`),
  };
}
