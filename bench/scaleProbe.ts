// What the scale section reads from outside a node: its log lines (a pass reports itself there, with its own
// duration) and its I/O counters in /proc/<pid>/io. The parsers are pure.
import fs from 'node:fs/promises';

export interface Io {
  /** bytes the process read/wrote through syscalls (page cache included) */
  readonly rchar: number;
  readonly wchar: number;
  /** bytes that actually went to or came from the block device */
  readonly readBytes: number;
  readonly writeBytes: number;
  readonly syscr: number;
  readonly syscw: number;
}

export const NO_IO: Io = { rchar: 0, wchar: 0, readBytes: 0, writeBytes: 0, syscr: 0, syscw: 0 };

/** Parses /proc/<pid>/io ("rchar: 123" lines). */
export function parseIo(text: string): Io {
  const v = (k: string): number => Number(new RegExp(`^${k}:\\s*(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { rchar: v('rchar'), wchar: v('wchar'), readBytes: v('read_bytes'), writeBytes: v('write_bytes'), syscr: v('syscr'), syscw: v('syscw') };
}

export const ioDelta = (a: Io, b: Io): Io => ({
  rchar: b.rchar - a.rchar,
  wchar: b.wchar - a.wchar,
  readBytes: b.readBytes - a.readBytes,
  writeBytes: b.writeBytes - a.writeBytes,
  syscr: b.syscr - a.syscr,
  syscw: b.syscw - a.syscw,
});

export async function readIo(pid: number): Promise<Io> {
  return parseIo(await fs.readFile(`/proc/${pid}/io`, 'utf8').catch(() => ''));
}

export type LogLine = Readonly<Record<string, unknown>> & { readonly msg: string; readonly time: number };

/** The pino JSON lines with this message, at or after `sinceMs` (other lines and non-JSON output are skipped). */
export function logLines(text: string, msg: string, sinceMs = 0): LogLine[] {
  const out: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes(msg)) continue;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      // the node's logger writes ISO times (log.ts); pino's default is epoch ms
      const time = typeof o.time === 'number' ? o.time : Date.parse(String(o.time));
      if (o.msg === msg && time >= sinceMs) out.push({ ...o, msg, time });
    } catch {
      // a line cut by the tail, or not pino's
    }
  }
  return out;
}

/** A number a pass logged (its `ms`, `blobs`...), or undefined when the line or the field is missing. */
export function numField(line: LogLine | undefined, key: string): number | undefined {
  const v = line?.[key];
  return typeof v === 'number' ? v : undefined;
}

/** Polls `check` every 250 ms until it returns a value or `timeoutMs` passes (then undefined). */
export async function pollFor<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve()
      .then(check)
      .catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 250));
  }
}
