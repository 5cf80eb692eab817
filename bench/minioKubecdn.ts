// One standalone kubecdn node (no CLUSTER_SECRET: no peers, no replica) for the kubecdn-vs-MinIO section, started as
// the benchmark's clusters start theirs (the built program, default settings, LOG_LEVEL=info into a log file), on its
// own redis-server with appendonly yes + appendfsync always: every acknowledged version's metadata is fsynced
// before the 201, as MinIO syncs its metadata before its 200. The node's own gauge must say so, or nothing is measured.
import path from 'node:path';
import { waitFor } from '../test/helpers/redis.js';
import { auth, fileUrl } from './client.js';
import { say } from './context.js';
import { countKubecdnVersions, durabilityMode, type Store } from './minioStore.js';
import { startStandaloneNode } from './standaloneNode.js';

const NODE_ID = 'standalone';

export interface KubecdnStandalone extends Store {
  /** what the node's kubecdn_redis_commit_durability gauge reported: always "fsync" (any other mode is refused) */
  readonly commitDurability: string;
}

export async function startKubecdnStandalone(runDir: string): Promise<KubecdnStandalone> {
  const node = await startStandaloneNode(path.join(runDir, 'vs-minio'), NODE_ID, {}, { persist: true });
  const { stop } = node;
  const mode = await reportedDurability(node.url).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  if (mode !== 'fsync') {
    await stop();
    throw new Error(`kubecdn_redis_commit_durability says "${mode}", not "fsync": the comparison with MinIO needs equal durability`);
  }
  say(`kubecdn: standalone node pid ${node.pid} on ${node.url}, its redis pid ${node.redisPid}, commit durability ${mode}`);
  const w = auth(node.token);
  return {
    name: 'kubecdn',
    commitDurability: mode,
    putOk: 201,
    durability: 'fsync: blob durable first (a 1 KiB one by its group-committed O_DSYNC journal record, BLOB_JOURNAL_MAX_BYTES), then Redis appendonly yes + appendfsync always (kubecdn_redis_commit_durability)',
    processes: [
      { label: 'node', pid: node.pid },
      { label: 'redis', pid: node.redisPid },
    ],
    put: (key) => Promise.resolve({ url: fileUrl(node.url, key), headers: w }),
    get: (key) => Promise.resolve(fileUrl(node.url, key)),
    listVersions: (key, max) => Promise.resolve(`${fileUrl(node.url, key)}/versions?limit=${max}`),
    countVersions: countKubecdnVersions,
    stop,
  };
}

/** The node sets the gauge once it has asked Redis (at connect): wait for a mode, up to 10 s. */
async function reportedDurability(url: string): Promise<string> {
  const read = async (): Promise<string | undefined> => durabilityMode(await (await fetch(`${url}/metrics`)).text());
  await waitFor(async () => (await read()) !== undefined, 10_000, 'kubecdn_redis_commit_durability');
  return (await read()) ?? 'none reported';
}
