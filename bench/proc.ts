// Every process the benchmark starts, and the run's temp dir: all of it goes away at the end, on Ctrl-C and on a
// crash. Children run in their own process group (detached), so stopping one also stops what it forked (nginx's
// worker, varnishd's cache process) even when it has to be SIGKILLed.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly logFile: string;
  exited(): boolean;
  /** SIGTERM to the group, SIGKILL after graceMs */
  stop(graceMs?: number): Promise<void>;
}

const children = new Set<Child>();
let runDir: string | undefined;
let keepDir = false;

/** The run's temp dir, created once; world-readable so nginx's unprivileged worker can read its root. */
export async function makeRunDir(keep: boolean): Promise<string> {
  runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kubecdn-bench-'));
  await fs.chmod(runDir, 0o755);
  keepDir = keep;
  return runDir;
}

/** Starts a command with stdout and stderr going to a log file (never a pipe: a full pipe would slow the server). */
export function start(name: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; logFile: string }): Child {
  const fd = openSync(opts.logFile, 'a');
  const proc = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  return adopt(name, proc, opts.logFile);
}

/**
 * Registers a process spawned with `detached: true` (so it leads its own process group) for cleanup; it is
 * forgotten once it exits. For processes whose output the caller reads itself (wrk).
 */
export function adopt(name: string, proc: ChildProcess, logFile = ''): Child {
  if (proc.pid === undefined) throw new Error(`${name}: could not start ${proc.spawnfile}`);
  const pid = proc.pid;
  const exited = (): boolean => proc.exitCode !== null || proc.signalCode !== null;
  const child: Child = {
    name,
    proc,
    pid,
    logFile,
    exited,
    async stop(graceMs = 3000) {
      children.delete(child);
      if (exited()) return;
      const done = new Promise((r) => proc.once('exit', r));
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      await done;
      clearTimeout(timer);
      signalGroup(pid, 'SIGKILL'); // what the leader forked and left behind
    },
  };
  children.add(child);
  proc.once('exit', () => {
    if (!logFile) children.delete(child); // nothing forked to clean up after (wrk); servers are stopped explicitly
  });
  return child;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/** Stops every child still running (in parallel), then removes the run dir. */
export async function cleanup(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop(2000)));
  if (runDir && !keepDir) await fs.rm(runDir, { recursive: true, force: true });
}

/** Ctrl-C, SIGTERM and crashes still clean up; a second Ctrl-C kills at once. */
export function installCleanupHandlers(): void {
  let stopping = false;
  const bail = (why: string, code: number): void => {
    if (stopping) {
      for (const c of children) signalGroup(c.pid, 'SIGKILL');
      process.exit(code);
    }
    stopping = true;
    process.stderr.write(`\n${why}: stopping every process the benchmark started\n`);
    void cleanup().finally(() => process.exit(code));
  };
  process.on('SIGINT', () => bail('SIGINT', 130));
  process.on('SIGTERM', () => bail('SIGTERM', 143));
  process.on('uncaughtException', (err) => bail(`uncaught ${err.stack ?? String(err)}`, 1));
  process.on('unhandledRejection', (err) => bail(`unhandled rejection ${String(err)}`, 1));
  // Last resort when the event loop is already gone: signals only, synchronously.
  process.on('exit', () => {
    for (const c of children) signalGroup(c.pid, 'SIGKILL');
    if (runDir && !keepDir) rmSync(runDir, { recursive: true, force: true });
  });
}
