// File nodes for tests: in-process (fast, same Node process) or as a real child process of the built program
// (nodeProcess.ts, which the benchmark uses too).
import { loadConfig } from '../../node/src/config.js';
import { createLogger } from '../../node/src/log.js';
import { createNode, type FileNode } from '../../node/src/node.js';
import { tempDir } from './nodeProcess.js';

export { MAIN, ROOT, spawnNode, tempDir, type ChildNode } from './nodeProcess.js';

/** A node in this process, on a free port, with its own data dir. */
export async function startNode(redisUrl: string, env: Record<string, string> = {}): Promise<FileNode & { dataDir: string }> {
  const dataDir = env.DATA_DIR ?? (await tempDir());
  const cfg = loadConfig({ NODE_ID: 'test-node', PORT: '0', HOST: '127.0.0.1', REDIS_URL: redisUrl, DATA_DIR: dataDir, ...env });
  const node = await createNode(cfg, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', cfg.nodeId));
  await node.listen();
  return Object.assign(node, { dataDir });
}
