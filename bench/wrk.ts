// wrk as the load generator for cache hits: the same arguments for every server, and its text output parsed into
// numbers. A run with socket errors or non-2xx/3xx answers is kept but flagged invalid, never silently averaged in.
import { spawn } from 'node:child_process';
import { adopt } from './proc.js';

export interface WrkSettings {
  readonly connections: number;
  readonly durationS: number;
  /** a request slower than this counts as a timeout error (wrk's default, 2 s, is short for 16 MiB at 32 conns) */
  readonly timeoutS: number;
}

export interface WrkRun {
  readonly url: string;
  readonly requests: number;
  readonly durationS: number;
  readonly bytesRead: number;
  readonly rps: number;
  readonly latencyMs: { readonly p50?: number; readonly p75?: number; readonly p90?: number; readonly p99?: number };
  readonly errors: { readonly connect: number; readonly read: number; readonly write: number; readonly timeout: number };
  readonly non2xx: number;
  /** false when wrk saw errors or non-2xx/3xx answers, or its output could not be read */
  readonly valid: boolean;
  readonly problem?: string;
}

/** One thread (the machine has two cores: one for wrk, one for the server under test: bench/affinity.ts), --latency for p99. */
export function wrkArgs(url: string, s: WrkSettings): string[] {
  return ['-t1', `-c${s.connections}`, `-d${s.durationS}s`, `--timeout`, `${s.timeoutS}s`, '--latency', url];
}

const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
// wrk prints sizes with binary multiples but decimal-looking names (KB = 1024 B).
const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** "245.43us" | "1.20ms" | "2.00s" -> milliseconds */
export function parseDurationMs(text: string): number | undefined {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  return m ? Number(m[1]) * (TIME_UNITS[m[2] as string] as number) : undefined;
}

/** "14.58MB" -> bytes */
export function parseSize(text: string): number | undefined {
  const m = /^([\d.]+)(B|KB|MB|GB|TB)$/.exec(text.trim());
  return m ? Number(m[1]) * (SIZE_UNITS[m[2] as string] as number) : undefined;
}

const num = (re: RegExp, text: string): number | undefined => {
  const m = re.exec(text);
  return m ? Number(m[1]) : undefined;
};

function latencies(out: string): Record<string, number> {
  const latencyMs: Record<string, number> = {};
  for (const m of out.matchAll(/^\s+(50|75|90|99)%\s+(\S+)\s*$/gm)) {
    const ms = parseDurationMs(m[2] as string);
    if (ms !== undefined) latencyMs[`p${m[1]}`] = ms;
  }
  return latencyMs;
}

function socketErrors(out: string): WrkRun['errors'] {
  const m = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (!m) return { connect: 0, read: 0, write: 0, timeout: 0 }; // wrk prints the line only when there are some
  return { connect: Number(m[1]), read: Number(m[2]), write: Number(m[3]), timeout: Number(m[4]) };
}

function totals(out: string): { requests: number; durationS: number; bytesRead: number } | undefined {
  const m = /(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read/.exec(out);
  if (!m) return undefined;
  return { requests: Number(m[1]), durationS: (parseDurationMs(m[2] as string) ?? 0) / 1000, bytesRead: parseSize(m[3] as string) ?? 0 };
}

/** Parses wrk 4.x output (with --latency). Pure. */
export function parseWrk(url: string, out: string): WrkRun {
  const latencyMs = latencies(out);
  const total = totals(out);
  const errors = socketErrors(out);
  const non2xx = num(/Non-2xx or 3xx responses: (\d+)/, out) ?? 0;
  const rps = num(/Requests\/sec:\s+([\d.]+)/, out);
  const run = { url, requests: 0, durationS: 0, bytesRead: 0, ...total, rps: rps ?? 0, latencyMs, errors, non2xx };
  const problems = [
    rps === undefined || total === undefined ? 'unreadable wrk output' : '',
    latencyMs.p99 === undefined ? 'no latency distribution' : '',
    Object.values(errors).some((n) => n > 0) ? `socket errors ${JSON.stringify(errors)}` : '',
    non2xx > 0 ? `${non2xx} non-2xx/3xx responses` : '',
  ].filter(Boolean);
  return problems.length ? { ...run, valid: false, problem: problems.join('; ') } : { ...run, valid: true };
}

/** Runs wrk to completion (on the CPUs `cpus` names, a taskset list, when given) and parses what it printed. */
export async function runWrk(url: string, s: WrkSettings, cpus?: string): Promise<WrkRun> {
  const [cmd, args] = cpus === undefined ? ['wrk', wrkArgs(url, s)] : ['taskset', ['-c', cpus, 'wrk', ...wrkArgs(url, s)]];
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  adopt('wrk', proc); // stopped with everything else on Ctrl-C
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('close', resolve);
  });
  const run = parseWrk(url, out);
  if (code !== 0) return { ...run, valid: false, problem: `wrk exited with ${code}: ${out.slice(-500)}` };
  return run;
}
