// File nodes for tests: in-process (fast, same Node process) or as a real child process of the built program.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../node/src/config.js';
import { createLogger } from '../../node/src/log.js';
import { createNode, type FileNode } from '../../node/src/node.js';
import { freePort, waitFor } from './redis.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN = path.join(ROOT, 'dist/node/src/main.js');

export async function tempDir(prefix = 'kubecdn-data-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A node in this process, on a free port, with its own data dir. */
export async function startNode(redisUrl: string, env: Record<string, string> = {}): Promise<FileNode & { dataDir: string }> {
  const dataDir = env.DATA_DIR ?? (await tempDir());
  const cfg = loadConfig({ NODE_ID: 'test-node', PORT: '0', HOST: '127.0.0.1', REDIS_URL: redisUrl, DATA_DIR: dataDir, ...env });
  const node = await createNode(cfg, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', cfg.nodeId));
  await node.listen();
  return Object.assign(node, { dataDir });
}

export interface ChildNode {
  readonly url: string;
  readonly proc: ChildProcess;
  readonly dataDir: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * The real program (dist/node/src/main.js) as a child process. A port found free can be taken by another test's
 * process before the child binds it, so readiness means "answers /healthz with its own NODE_ID"; without a fixed
 * PORT a lost race is retried on a new port.
 */
export async function spawnNode(redisUrl: string, env: Record<string, string> = {}): Promise<ChildNode> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnOnce(redisUrl, env, env.PORT ? Number(env.PORT) : await freePort());
    } catch (err) {
      if (env.PORT || attempt >= 3) throw err;
    }
  }
}

async function spawnOnce(redisUrl: string, env: Record<string, string>, port: number): Promise<ChildNode> {
  const dataDir = env.DATA_DIR ?? (await tempDir());
  let out = '';
  const proc = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, NODE_ID: 'child', HOST: '127.0.0.1', PORT: String(port), REDIS_URL: redisUrl, DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  proc.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const nodeId = env.NODE_ID ?? 'child';
  let exited = false;
  try {
    await waitFor(async () => {
      exited = proc.exitCode !== null;
      return exited || ((await (await fetch(`${url}/healthz`)).json()) as { node?: string }).node === nodeId;
    }, 15_000, `node ${nodeId} on ${url}`);
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`${(err as Error).message}: ${out}`, { cause: err });
  }
  if (exited) throw new Error(`node exited with ${proc.exitCode}: ${out}`);
  return {
    url,
    proc,
    dataDir,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill(signal);
      await exited;
    },
  };
}
