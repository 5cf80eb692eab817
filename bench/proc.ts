// Every process the benchmark starts, and the run's temp dir: all of it goes away at the end, on Ctrl-C and on a
// crash. Children are started by test/helpers/proc.ts in their own process group with their output in a log file, so
// stopping one also stops what it forked, and a Ctrl-C reaches only the benchmark, which stops them in order.
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { launch, own, type Launcher, type Proc } from '../test/helpers/proc.js';

const GRACE_MS = 3000;
const children = new Set<Proc>();
let runDir: string | undefined;
let keepDir = false;

/** The run's temp dir, created once; world-readable so nginx's unprivileged worker can read its root. */
export async function makeRunDir(keep: boolean): Promise<string> {
  runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kubecdn-bench-'));
  await fs.chmod(runDir, 0o755);
  keepDir = keep;
  return runDir;
}

/** Starts a command with stdout and stderr going to a log file; stop() sends SIGKILL after 3 s of SIGTERM. */
export function start(name: string, cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; logFile: string }): Proc {
  const child = launch(name, cmd, args, { ...opts, group: true, graceMs: GRACE_MS });
  // Kept until stopped (even after it exited: its group may still hold what it forked), then forgotten.
  const tracked: Proc = {
    ...child,
    stop: (signal, graceMs) => {
      children.delete(tracked);
      return child.stop(signal, graceMs);
    },
  };
  children.add(tracked);
  return tracked;
}

/** For the shared launchers (redis-server, the file node): each program logs to `<dir>/<name>.log`. */
export const logsIn =
  (dir: string): Launcher =>
  (name, cmd, args, env) =>
    start(name, cmd, args, { env, logFile: path.join(dir, `${name}.log`) });

/**
 * Registers a process spawned with `detached: true` (so it leads its own process group) for cleanup; it is
 * forgotten once it exits. For processes whose output the caller reads itself (wrk).
 */
export function adopt(name: string, proc: ChildProcess): void {
  const child = own(name, proc, { group: true, graceMs: GRACE_MS });
  children.add(child);
  proc.once('exit', () => children.delete(child)); // nothing forked to clean up after
}

function killGroup(c: Proc): void {
  try {
    process.kill(-c.pid, 'SIGKILL');
  } catch {
    // the group is gone already
  }
}

/** Stops every child still running (in parallel), then removes the run dir. */
export async function cleanup(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop('SIGTERM', 2000)));
  if (runDir && !keepDir) await fs.rm(runDir, { recursive: true, force: true });
}

/** Ctrl-C, SIGTERM and crashes still clean up; a second Ctrl-C kills at once. */
export function installCleanupHandlers(): void {
  let stopping = false;
  const bail = (why: string, code: number): void => {
    if (stopping) {
      children.forEach(killGroup);
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
    children.forEach(killGroup);
    if (runDir && !keepDir) rmSync(runDir, { recursive: true, force: true });
  });
}
