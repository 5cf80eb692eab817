// kubecdn cluster: the members as the asked node sees them, then each member's own cache stats and
// under-replicated count (every member is asked in parallel; one that cannot be reached is reported, not fatal).
import { Command } from 'commander';
import { Client } from '../client.js';
import { networkReason } from '../errors.js';
import { formatBytes, table } from '../format.js';
import type { Io } from '../output.js';
import { examples, runtime, type Runtime } from '../runtime.js';
import type { ClusterInfo } from '../types.js';

const MEMBER_TIMEOUT_MS = 3000;

export interface MemberReport {
  readonly id: string;
  readonly url: string;
  readonly reachable: boolean;
  readonly cache?: ClusterInfo['cache'];
  readonly underReplicated?: number;
  /** why it could not be asked (advertised URLs are often reachable only inside the cluster) */
  readonly error?: string;
}

export interface ClusterReport {
  readonly askedNode: string;
  readonly askedUrl: string;
  readonly standalone: boolean;
  readonly replicationFactor: number;
  readonly members: readonly MemberReport[];
}

export function clusterCommand(io: Io): Command {
  return new Command('cluster')
    .description("show the cluster: members, each node's cache stats, under-replicated blobs")
    .addHelpText(
      'after',
      examples(['kubecdn cluster', 'kubecdn cluster --json | jq ".members[] | {id, underReplicated}"']),
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const rt = runtime(cmd, io);
      const report = await clusterReport(rt);
      rt.out.result(report, () => renderCluster(report));
    });
}

async function clusterReport(rt: Runtime): Promise<ClusterReport> {
  const info = await rt.client.json<ClusterInfo>('/cluster', { ctx: { feature: 'cluster' } });
  const members = info.members.length === 0 ? [{ id: info.self, url: rt.cfg.server }] : info.members;
  const reports = await Promise.all(
    members.map((m) => (m.id === info.self ? Promise.resolve(fromInfo(m, info)) : askMember(rt, m))),
  );
  return {
    askedNode: info.self,
    askedUrl: rt.cfg.server,
    standalone: info.standalone === true || info.members.length === 0,
    replicationFactor: info.replicationFactor,
    members: reports,
  };
}

const fromInfo = (m: { id: string; url: string }, info: ClusterInfo): MemberReport => ({
  id: m.id,
  url: m.url,
  reachable: true,
  cache: info.cache,
  underReplicated: info.underReplicated,
});

async function askMember(rt: Runtime, m: { id: string; url: string }): Promise<MemberReport> {
  const client = new Client({ ...rt.cfg, server: m.url.replace(/\/+$/, '') }, rt.io.stop);
  try {
    const info = await client.json<ClusterInfo>('/cluster', { signal: AbortSignal.timeout(MEMBER_TIMEOUT_MS) });
    return fromInfo(m, info);
  } catch (err) {
    const reason = (err as Error).name === 'TimeoutError' ? `no answer in ${MEMBER_TIMEOUT_MS} ms` : networkReason(err);
    return { id: m.id, url: m.url, reachable: false, error: reason };
  }
}

/** The human view. Pure. */
export function renderCluster(r: ClusterReport): string {
  const title = r.standalone
    ? `${r.askedNode} at ${r.askedUrl} is standalone (no CLUSTER_SECRET): no peers, replication factor ${r.replicationFactor}`
    : `Cluster seen from ${r.askedNode} at ${r.askedUrl}: ${r.members.length} members, replication factor ${r.replicationFactor}`;
  const rows = r.members.map((m) => {
    const id = m.id === r.askedNode ? `${m.id}*` : m.id;
    if (!m.reachable || m.cache === undefined) return [id, m.url, `unreachable (${m.error ?? 'unknown'})`, '-', '-'];
    const cache = `${formatBytes(m.cache.bytes)} of ${formatBytes(m.cache.maxBytes)}`;
    return [id, m.url, cache, String(m.cache.entries), String(m.underReplicated ?? '-')];
  });
  return `${title}\n${table(['NODE', 'URL', 'CACHE', 'ENTRIES', 'UNDER-REPLICATED'], rows)}`;
}
