// The third writer of the kubecdn-vs-MinIO write rounds: bench/writeControl.ts (node:http, the same durable steps as a
// kubecdn write and nothing else) on its own redis-server with appendonly yes + appendfsync always. It tells apart
// what Node allows on this machine (control / MinIO) from what kubecdn's own write path costs (kubecdn / control).
import fs from 'node:fs/promises';
import path from 'node:path';
import { onFreePort } from '../test/helpers/redis.js';
import { ROOT } from './context.js';
import type { GetTarget } from './minioStore.js';
import { start } from './proc.js';
import { httpReady, startRedisServer } from './servers.js';

export async function startWriteControl(runDir: string): Promise<GetTarget> {
  const dir = path.join(runDir, 'write-control');
  const dataDir = path.join(dir, 'data');
  await fs.mkdir(dataDir, { recursive: true });
  const redis = await startRedisServer(dir, 'redis', { persist: true });
  const program = path.join(ROOT, 'dist/bench/writeControl.js');
  const server = await onFreePort('write control', async (port) => {
    const child = start('write-control', process.execPath, [program, String(port), dataDir, redis.redisUrl], { logFile: path.join(dir, 'out.log') });
    const url = `http://127.0.0.1:${port}`;
    await httpReady(child, `${url}/`);
    return { child, url };
  }).catch(async (err: unknown) => {
    await redis.child.stop();
    throw err;
  });
  return {
    name: 'control',
    putOk: 201,
    processes: [
      { label: 'server', pid: server.child.pid },
      { label: 'redis', pid: redis.child.pid },
    ],
    put: (key) => Promise.resolve({ url: `${server.url}/files/${encodeURIComponent(key)}`, headers: {} }),
    get: (key) => Promise.resolve(`${server.url}/files/${encodeURIComponent(key)}`),
    stop: async () => {
      await server.child.stop();
      await redis.child.stop();
    },
  };
}
