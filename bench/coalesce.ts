// 100 concurrent cold misses for one fresh blob on a node that is not its home: they must share one peer transfer,
// and every client must get the whole, correct body.
import { randomBytes } from 'node:crypto';
import { metric } from '../test/helpers/metrics.js';
import { fileUrl, keepAliveAgent, openConnections, putFile, sha256Hex, timed } from './client.js';
import { say, type Ctx } from './context.js';
import { summarize, type Summary } from './stats.js';

export interface CoalesceResult {
  readonly clients: number;
  readonly bytes: number;
  readonly node: string;
  /** kubecdn_peer_fetches_total added on the node that missed (must be 1) */
  readonly peerTransfers: number;
  /** the same, summed over every node (another node must not have fetched either) */
  readonly peerTransfersAllNodes: number;
  /** kubecdn_peer_fetch_coalesced_total added: misses that waited for the transfer under way */
  readonly coalesced: number;
  readonly ok: number;
  readonly corrupt: number;
  readonly xCache: Readonly<Record<string, number>>;
  /** time to last byte per client, ms */
  readonly ms: Summary;
  /** every answer 200 with the written bytes */
  readonly valid: boolean;
}

const counters = ['kubecdn_peer_fetches_total', 'kubecdn_peer_fetch_coalesced_total'] as const;

export async function runCoalesce(ctx: Ctx): Promise<CoalesceResult> {
  const { cluster, plan } = ctx;
  const body = randomBytes(plan.coalesceBytes);
  const sha = sha256Hex(body);
  const name = 'coalesce/blob.bin';
  const node = cluster.nonHomeOf(sha);
  // Written through a home: a non-home writer keeps its upload copy, and the misses below would be hits.
  await putFile(cluster.homesOf(sha)[0]?.url ?? '', name, body, cluster.token);
  // Connections first: the GETs below then leave together instead of being spread over 100 TCP handshakes.
  const agent = keepAliveAgent(plan.coalesceClients);
  await openConnections(node.url, agent, plan.coalesceClients);
  const before = await snapshot(ctx, node.url);
  say(`coalescing: ${plan.coalesceClients} concurrent GETs of one fresh ${plan.coalesceBytes / 1024 / 1024} MiB blob on ${node.id} (not a home)`);
  const reads = await Promise.all(Array.from({ length: plan.coalesceClients }, () => timed(fileUrl(node.url, name), { agent })));
  const after = await snapshot(ctx, node.url);
  agent.destroy();
  const xCache: Record<string, number> = {};
  for (const r of reads) xCache[String(r.headers['x-cache'])] = (xCache[String(r.headers['x-cache'])] ?? 0) + 1;
  const ok = reads.filter((r) => r.status === 200 && r.sha256 === sha).length;
  return {
    clients: plan.coalesceClients,
    bytes: plan.coalesceBytes,
    node: node.id,
    peerTransfers: (after.node[0] ?? 0) - (before.node[0] ?? 0),
    peerTransfersAllNodes: after.all - before.all,
    coalesced: (after.node[1] ?? 0) - (before.node[1] ?? 0),
    ok,
    corrupt: reads.filter((r) => r.status === 200 && r.sha256 !== sha).length,
    xCache,
    ms: summarize(reads.map((r) => r.ms)),
    valid: ok === reads.length,
  };
}

async function snapshot(ctx: Ctx, url: string): Promise<{ node: number[]; all: number }> {
  const node = await Promise.all(counters.map((c) => metric(url, c)));
  const all = await Promise.all(ctx.cluster.nodes.map((n) => metric(n.url, 'kubecdn_peer_fetches_total')));
  return { node, all: all.reduce((a, b) => a + b, 0) };
}
