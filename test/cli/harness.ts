// Running the real CLI (bin/kubecdn.js, i.e. the built dist/cli) as a child process, and file nodes on a port of our
// choosing so a test can restart one in place (test/helpers/node.ts picks its own port each time).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT, spawnNode } from '../helpers/node.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';

export const BIN = path.join(ROOT, 'bin/kubecdn.js');
const CLI_MAIN = path.join(ROOT, 'dist/cli/src/main.js');

export function requireBuiltCli(): void {
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run \`npm run build\` first`);
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  /** stdout as bytes, for binary downloads */
  readonly stdoutBytes: Buffer;
  readonly stderr: string;
}

export interface CliRunOptions {
  /** extra environment; only PATH is inherited, so a KUBECDN_URL of the person running the tests never leaks in */
  readonly env?: Record<string, string>;
  readonly stdin?: string | Buffer;
  readonly cwd?: string;
}

/** A running CLI: its output so far, and its exit. */
export interface CliProcess {
  readonly proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  lines(): string[];
  readonly exited: Promise<CliResult>;
}

export function startCli(args: readonly string[], opts: CliRunOptions = {}): CliProcess {
  const proc = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...opts.env },
    cwd: opts.cwd ?? ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  let stderr = '';
  proc.stdout?.on('data', (d: Buffer) => out.push(d));
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // A CLI that exits without reading all of its stdin (a refused upload) closes the pipe: not the test's concern.
  proc.stdin?.on('error', () => undefined);
  if (opts.stdin !== undefined) proc.stdin?.end(opts.stdin);
  else proc.stdin?.end();
  const stdout = (): string => Buffer.concat(out).toString();
  const exited = new Promise<CliResult>((resolve) =>
    proc.once('close', (code) => resolve({ code, stdout: stdout(), stdoutBytes: Buffer.concat(out), stderr })),
  );
  return {
    proc,
    stdout,
    stderr: () => stderr,
    lines: () => stdout().split('\n').filter((l) => l !== ''),
    exited,
  };
}

export async function cli(args: readonly string[], opts: CliRunOptions = {}): Promise<CliResult> {
  return startCli(args, opts).exited;
}

export interface FixedNode {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** The real node program on a given (or free) port and data dir: start it again with the same ones to restart it. */
export async function nodeAt(
  redisUrl: string,
  opts: { port?: number; dataDir?: string; env?: Record<string, string> } = {},
): Promise<FixedNode> {
  // spawnNode checks the node answers with its own id (a free port can be taken by another test before it binds)
  const node = await spawnNode(redisUrl, {
    NODE_ID: 'cli-node',
    ...(opts.port === undefined ? {} : { PORT: String(opts.port) }),
    ...(opts.dataDir === undefined ? {} : { DATA_DIR: opts.dataDir }),
    ...opts.env,
  });
  return { url: node.url, port: Number(new URL(node.url).port), dataDir: node.dataDir, stop: () => node.stop() };
}

export { waitFor };

/** Redis, one node and a scratch directory: what most CLI suites start in beforeAll and stop in afterAll. */
export interface CliWorld {
  readonly redis: TestRedis;
  readonly node: FixedNode;
  readonly work: string;
  /** KUBECDN_URL of the node */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startWorld(nodeEnv: Record<string, string> = {}): Promise<CliWorld> {
  requireBuiltCli();
  const redis = await startRedis();
  const node = await nodeAt(redis.url, { env: nodeEnv });
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'kubecdn-cli-'));
  return {
    redis,
    node,
    work,
    env: { KUBECDN_URL: node.url },
    stop: async () => {
      await node.stop();
      await redis.stop();
      await fs.rm(work, { recursive: true, force: true });
      await fs.rm(node.dataDir, { recursive: true, force: true });
    },
  };
}

/** util-linux `script` runs a command on a pseudo-terminal, the one way to see the TTY side from a test. */
export const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

export async function onTerminal(command: string, env: Record<string, string>, cwd = ROOT): Promise<{ code: number | null; output: string }> {
  const proc = spawn('script', ['-qec', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', TERM: 'xterm', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd,
  });
  let output = '';
  proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((r) => proc.once('close', r));
  return { code, output };
}
