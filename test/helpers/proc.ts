// A program the tests or the benchmark started (redis-server, the file node, nginx...): its output, whether it exited,
// and a stop that waits for the exit. The tests keep the output in memory; the benchmark writes it to a log file (never
// a pipe: a full pipe would slow the server) and runs each program in its own process group, so that stopping one
// also stops what it forked (nginx's worker, varnishd's cache process) even when it has to be SIGKILLed.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';

const OUTPUT_TAIL = 20_000;

export interface Proc {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** where its output goes ('' when it is kept in memory) */
  readonly logFile: string;
  exited(): boolean;
  /** the last 20 kB it printed */
  output(): string;
  /** `signal` (default SIGTERM), SIGKILL after `graceMs` if given (or launched with one); resolves once it exited */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export interface LaunchOptions {
  /** its whole environment (default: this process's) */
  readonly env?: NodeJS.ProcessEnv;
  /** its output is appended to this file; by default the last 20 kB are kept in memory */
  readonly logFile?: string;
  /** leads its own process group: stop() signals the whole group */
  readonly group?: boolean;
  /** stop()'s grace before SIGKILL when it is given none */
  readonly graceMs?: number;
}

/** How a helper starts a program: the tests launch it as is, the benchmark also registers it for its cleanup. */
export type Launcher = (name: string, cmd: string, args: readonly string[], env: NodeJS.ProcessEnv) => Proc;

export const inMemory: Launcher = (name, cmd, args, env) => launch(name, cmd, args, { env });

export function launch(name: string, cmd: string, args: readonly string[], opts: LaunchOptions = {}): Proc {
  const env = opts.env ?? process.env;
  if (opts.logFile === undefined) {
    const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.group });
    let out = '';
    const keep = (d: Buffer): void => void (out = (out + d.toString()).slice(-OUTPUT_TAIL));
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    return own(name, proc, opts, () => out);
  }
  const logFile = opts.logFile;
  const fd = openSync(logFile, 'a');
  try {
    const proc = spawn(cmd, args, { env, stdio: ['ignore', fd, fd], detached: opts.group });
    return own(name, proc, { ...opts, logFile }, () => tail(logFile));
  } finally {
    closeSync(fd); // the child has its own copy
  }
}

/** A process already spawned (one whose output its caller reads itself: wrk) as a Proc. */
export function own(name: string, proc: ChildProcess, opts: LaunchOptions = {}, output = (): string => ''): Proc {
  if (proc.pid === undefined) throw new Error(`${name}: could not start ${proc.spawnfile}`);
  const pid = proc.pid;
  const exited = (): boolean => proc.exitCode !== null || proc.signalCode !== null;
  const signal = (s: NodeJS.Signals): void => {
    try {
      process.kill(opts.group ? -pid : pid, s);
    } catch {
      // gone already
    }
  };
  return {
    name,
    proc,
    pid,
    logFile: opts.logFile ?? '',
    exited,
    output,
    async stop(sig = 'SIGTERM', graceMs = opts.graceMs) {
      if (exited()) return;
      const done = new Promise((r) => proc.once('exit', r));
      signal(sig);
      const timer = graceMs === undefined ? undefined : setTimeout(() => signal('SIGKILL'), graceMs);
      await done;
      clearTimeout(timer);
      if (opts.group) signal('SIGKILL'); // what the leader forked and left behind
    },
  };
}

/** The last 20 kB of a log file ('' when there is none). */
function tail(file: string): string {
  try {
    const size = statSync(file).size;
    const buf = Buffer.alloc(Math.min(size, OUTPUT_TAIL));
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buf, 0, buf.length, size - buf.length);
    } finally {
      closeSync(fd);
    }
    return buf.toString();
  } catch {
    return '';
  }
}
