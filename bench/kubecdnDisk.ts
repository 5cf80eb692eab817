// A standalone kubecdn node with the hot cache's large tier off (HOT_LARGE_MAX_BYTES=0), for the hits section's big
// sizes: what kubecdn serves from disk when a blob is not (or not yet) in memory, beside the node:http disk control.
// The cluster measured as "kubecdn" keeps default settings, so its hot big blobs are answered from memory.
import path from 'node:path';
import { say } from './context.js';
import { startStandaloneNode, type StandaloneNode } from './standaloneNode.js';

export type KubecdnDisk = StandaloneNode;

export async function startKubecdnDisk(runDir: string): Promise<KubecdnDisk> {
  const node = await startStandaloneNode(path.join(runDir, 'kubecdn-disk'), 'disk', { HOT_LARGE_MAX_BYTES: '0' });
  say(`kubecdn-disk: standalone node pid ${node.pid} on ${node.url} (HOT_LARGE_MAX_BYTES=0)`);
  return node;
}
