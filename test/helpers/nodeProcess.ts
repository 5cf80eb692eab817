// The real program (dist/node/src/main.js) as a child process, for the tests and the benchmark. A port found free can
// be taken by another process before the child binds it, so readiness means "answers /healthz with its own NODE_ID";
// without a fixed PORT a lost race is retried on a new port.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inMemory, type Launcher, type Proc } from './proc.js';
import { onFreePort, waitFor } from './redis.js';

/** The repository: this file runs from test/helpers (vitest) or from dist/test/helpers (the benchmark, built). */
const up = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ROOT = path.basename(up) === 'dist' ? path.dirname(up) : up;
export const MAIN = path.join(ROOT, 'dist/node/src/main.js');

/** temp dirs made in this process, removed by removeTempDirs (after each test file: test/helpers/cleanup.ts) */
const made = new Set<string>();

export async function tempDir(prefix = 'kubecdn-data-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** Removes every temp dir tempDir made (355 were left in /tmp after a few runs of the suite before this). */
export async function removeTempDirs(): Promise<void> {
  const dirs = [...made];
  made.clear();
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
}

export interface ChildNode extends Proc {
  readonly url: string;
  readonly dataDir: string;
}

/**
 * Only PATH is inherited. Defaults for a test (NODE_ID child, LOG_LEVEL warn, a temp DATA_DIR) give way to `env`;
 * `launcher` decides where the output goes (default: memory).
 */
export async function spawnNode(
  redisUrl: string,
  env: Record<string, string> = {},
  launcher: Launcher = inMemory,
): Promise<ChildNode> {
  const nodeId = env.NODE_ID ?? 'child';
  const dataDir = env.DATA_DIR ?? (await tempDir());
  const childEnv = { PATH: process.env.PATH, HOST: '127.0.0.1', REDIS_URL: redisUrl, LOG_LEVEL: 'warn', ...env };
  const once = async (port: number): Promise<ChildNode> => {
    const url = `http://127.0.0.1:${port}`;
    const p = launcher(nodeId, process.execPath, [MAIN], { ...childEnv, NODE_ID: nodeId, DATA_DIR: dataDir, PORT: String(port) });
    await ready(p, url, nodeId);
    return { ...p, url, dataDir };
  };
  return env.PORT ? once(Number(env.PORT)) : onFreePort(`node ${nodeId}`, once);
}

/** Until it answers with its own id; throws with the end of its output when it exits or gives no answer in 15 s. */
async function ready(p: Proc, url: string, nodeId: string): Promise<void> {
  const ownId = async (): Promise<boolean> =>
    ((await (await fetch(`${url}/healthz`)).json()) as { node?: string }).node === nodeId;
  try {
    await waitFor(async () => p.exited() || (await ownId()), 15_000, `node ${nodeId} on ${url}`);
    if (p.exited()) throw new Error(`node exited with ${p.proc.exitCode}`);
  } catch (err) {
    await p.stop('SIGKILL');
    throw new Error(`${(err as Error).message}: ${p.output()}`, { cause: err });
  }
}
