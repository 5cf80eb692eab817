// Wiring only: the process's streams and environment, signals, the exit code.
import type { Io } from './output.js';
import { run } from './program.js';

const stop = new AbortController();
// First Ctrl-C: stop cleanly (a watch ends with 0, a transfer removes its partial file). The handlers are `once`,
// so a second Ctrl-C gets Node's default and ends the process at once.
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());
// `kubecdn ls | head -1`: the reader went away; nothing more can be said, and that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  stop.abort();
  process.exit(process.exitCode ?? 0);
});

const io: Io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, stop: stop.signal };
process.exitCode = await run(process.argv, io);
