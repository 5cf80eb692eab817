// Results -> markdown: the targets first (PASS/MISS), then one table per section. Pure.
import { describePlacement } from './affinity.js';
import type { CoalesceResult } from './coalesce.js';
import { COLD_PATHS, type ColdMissResult, type ColdPath } from './coldMiss.js';
import type { HitsResult } from './hits.js';
import type { LockModeResult, LockApiResult, WritePathResult } from './locks.js';
import type { Machine } from './machine.js';
import { MINIO_TABLE_HEAD, minioMethod, minioProblems, minioTableRows, WRITE_TABLE_HEAD, writeTableRows } from './minioReport.js';
import type { MinioResult } from './minioResults.js';
import type { NotifyResult } from './notify.js';
import { fixed, targetRows, type BenchResults } from './results.js';
import { scaleSection } from './scaleReport.js';
import type { Summary } from './stats.js';
import { TARGETS, describeTarget, verdict } from './stats.js';
import type { UploadResult } from './upload.js';

const table = (head: string[], rows: string[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

const pq = (s: Summary | undefined, digits = 2): string => (s?.p50 === undefined ? '—' : `${fixed(s.p50, digits)} / ${fixed(s.p99, digits)}`);
const int = (n: number | undefined): string => (n === undefined ? '—' : Math.round(n).toLocaleString('en-US'));

export function machineLine(m: Machine): string {
  return (
    `${m.os}, kernel ${m.kernel}, ${m.cpu}${m.sha_ni ? ' (SHA-NI)' : ''}, ${m.nproc} CPUs, ${m.memoryGiB} GiB; ` +
    `Node ${m.node}, nginx ${m.nginx}, ${m.varnish}, wrk ${m.wrk}, redis ${m.redis}; ` +
    `commit ${m.gitCommit.slice(0, 12)}${m.gitDirty ? ' (with uncommitted changes)' : ''}; ` +
    `${m.dataFs === undefined ? '' : `stores on ${m.dataFs}; `}load average ${m.loadAvg1} at start`
  );
}

/**
 * A load average above half the CPUs before the run (the run itself adds to it, so the end is not used) means
 * something else was competing for the machine: say so above the numbers rather than let them pass as clean.
 */
export function busyWarning(m: Machine): string {
  if (m.loadAvg1 <= m.nproc / 2) return '';
  return `**Warning: the machine was busy before the run started (load average ${m.loadAvg1} on ${m.nproc} CPUs): other processes competed with the servers and with wrk, so these numbers are unreliable.**`;
}

function targetsSection(r: BenchResults): string {
  const rows = targetRows(r).map((t) => [t.what, t.shown, t.goal, `**${t.verdict}**${t.note ? ` (${t.note})` : ''}`]);
  return rows.length ? `## Targets\n\n${table(['target', 'measured', 'goal', 'result'], rows)}` : '';
}

function hitsSection(h: HitsResult): string {
  const rows = h.sizes.map((s) => {
    const { nginx, varnish, node, nodeDisk, kubecdn, kubecdnDisk } = s.servers;
    const t = TARGETS.hitVsNginx[s.size];
    const all = [nginx, varnish, node, nodeDisk, kubecdn, ...(kubecdnDisk ? [kubecdnDisk] : [])];
    const valid = all.every((x) => x.valid);
    return [
      s.size,
      int(nginx.rps),
      int(varnish.rps),
      int(node.rps),
      int(nodeDisk.rps),
      int(kubecdn.rps),
      int(kubecdnDisk?.rps),
      fixed(s.vsNginx, 2, 'x'),
      fixed(s.vsVarnish, 2, 'x'),
      fixed(s.nodeVsNginx, 2, 'x'),
      fixed(s.vsNode, 2, 'x'),
      fixed(s.nodeDiskVsNginx, 2, 'x'),
      fixed(s.vsNodeDisk, 2, 'x'),
      fixed(s.diskPathVsNginx, 2, 'x'),
      fixed(s.diskPathVsNodeDisk, 2, 'x'),
      `${fixed(nginx.p99Ms, 2)} / ${fixed(varnish.p99Ms, 2)} / ${fixed(node.p99Ms, 2)} / ${fixed(nodeDisk.p99Ms, 2)} / ${fixed(kubecdn.p99Ms, 2)}`,
      `${int(nginx.payloadMBps)} / ${int(varnish.payloadMBps)} / ${int(kubecdn.payloadMBps)}`,
      `${s.varnishCache.hits}/${s.varnishCache.misses}`,
      t ? `${describeTarget(t, 'x')}: **${verdict(s.vsNginx, t, kubecdn.valid && nginx.valid)}**` : 'none',
      valid ? '' : 'INVALID: ' + all.flatMap((x) => x.problems).join('; '),
    ];
  });
  const head = ['size', 'nginx req/s', 'varnish req/s', 'node req/s', 'node-disk req/s', 'kubecdn req/s', 'kubecdn-disk req/s', 'kubecdn/nginx', 'kubecdn/varnish', 'node/nginx', 'kubecdn/node', 'node-disk/nginx', 'kubecdn/node-disk', 'kubecdn-disk/nginx', 'kubecdn-disk/node-disk', 'p99 ms n / v / node / nd / k', 'MB/s n / v / k', 'varnish hit/miss', 'target', 'flags'];
  const w = h.wrk;
  return (
    `## Cache hits\n\n\`wrk -t1 -c${w.connections} -d${w.durationS}s --timeout ${w.timeoutS}s --latency\`, ${w.rounds} rounds interleaved ` +
    `(order rotated each round), ${w.warmS} s warm-up per server; medians of the rounds; ${describePlacement(h.placement)}: ` +
    `each server's whole cost comes out of the same CPU, and wrk never competes with it. kubecdn is read on a home node ` +
    `(local copy, X-Cache: HIT checked first). "node" is the control: a plain node:http server answering from memory with ` +
    `the same headers (bench/baselineServer.ts), i.e. the most node:http allows on this machine; "node-disk" is the same ` +
    `server streaming the file from disk on every GET (256 KiB reads piped into the response): what Node allows where ` +
    `nginx uses sendfile and kubecdn reads a copy from disk. Above the small hot tier's sizes, kubecdn keeps a blob read ` +
    `again in memory (its large tier), so "kubecdn" answers big hits from memory; "kubecdn-disk" is a standalone ` +
    `node with the large tier off (HOT_LARGE_MAX_BYTES=0): kubecdn's disk path. MB/s is body bytes. ` +
    `Every kubecdn node first took ${h.preWrites.putsPerNode} small PUTs (${h.preWrites.seconds.toFixed(1)} s): hits are ` +
    `measured on processes with a write history.\n\n${table(head, rows)}`
  );
}

const COLD_LABELS: Record<ColdPath, string> = {
  kubecdnMiss: 'kubecdn miss (non-home)',
  kubecdnHomeFirst: 'kubecdn home, 1st read',
  kubecdnHomeWarm: 'kubecdn home, warm',
  varnishMiss: 'varnish miss',
  varnishHit: 'varnish hit',
  nginx: 'nginx',
};

function coldSection(c: ColdMissResult): string {
  const rows = c.sizes.map((s) => [s.size, String(s.files), ...COLD_PATHS.map((p) => pq(s.ms[p]))]);
  return (
    `## Cold misses\n\nTime to last byte, ms, p50 / p99, one keep-alive connection per server, each fresh file read once ` +
    `on the node that is not its home. X-Cache: MISS on ${c.missHeaders} of ${c.reads} reads; ${c.peerFetches} peer ` +
    `transfers; ${c.corrupt} reads with wrong bytes.\n\n${table(['size', 'files', ...COLD_PATHS.map((p) => COLD_LABELS[p])], rows)}`
  );
}

function coalesceSection(c: CoalesceResult): string {
  const xc = Object.entries(c.xCache).map(([k, v]) => `${k} ${v}`).join(', ');
  const row = [String(c.clients), `${c.bytes / 1024 / 1024} MiB`, c.node, String(c.peerTransfers), String(c.peerTransfersAllNodes), String(c.coalesced), `${c.ok}/${c.clients}`, xc, pq(c.ms, 1)];
  const head = ['clients', 'blob', 'node', 'peer transfers (node)', '(all nodes)', 'coalesced waiters', '200 + right bytes', 'X-Cache', 'ms p50 / p99'];
  return `## Concurrent cold misses of one blob\n\n${table(head, [row])}`;
}

function uploadSection(u: UploadResult): string {
  const rows = [
    ['raw SHA-256 in Node (1 MiB buffer, in memory, 1 thread)', `${fixed(u.sha256MBps, 0)} MB/s`],
    ['SHA-256 of the file read back (page cache)', `${fixed(u.sha256FileMBps, 0)} MB/s`],
    ['disk: sequential write + fsync', `${fixed(u.diskWriteMBps, 0)} MB/s`],
    [`upload ${u.bytes / 1024 ** 3} GiB to ${u.upload.node} (a home), R=2`, `${fixed(u.upload.MBps, 0)} MB/s (${fixed(u.upload.seconds, 2)} s), ${fixed(u.uploadVsSha, 2)}x SHA-256`],
    // All three nodes share this machine's one disk: R fsynced copies cannot be written faster than disk speed / R.
    [
      'the same upload against this disk: R=2 fsynced copies on one disk, at most disk speed / 2',
      `${fixed(u.upload.MBps / (u.diskWriteMBps / 2), 2)}x of ${fixed(u.diskWriteMBps / 2, 0)} MB/s`,
    ],
    ...u.downloads.map((d) => [
      `download from ${d.node} (${d.home ? 'home' : 'non-home'}, X-Cache ${d.xCache ?? '?'})`,
      `${fixed(d.MBps, 0)} MB/s (${fixed(d.seconds, 2)} s)${d.verified ? ', bytes verified' : ', **WRONG BYTES**'}`,
    ]),
    ...u.rss.map((p) => [
      `RSS at start -> peak, ${p.phase}${p.resetOk ? '' : ' (peak since node start: reset failed)'}`,
      Object.entries(p.peakMB).map(([id, mb]) => `${id} ${fixed(p.startMB[id], 0)} -> ${mb.toFixed(0)} MB`).join(', '),
    ]),
  ];
  const how = u.defaultsRefused
    ? `**With default settings the upload was refused** (${u.defaultsRefused}); the numbers below come from a fresh cluster with ${u.settings}.`
    : 'Default settings.';
  return `## Large files\n\n${how} Peak RSS is VmHWM, reset before each phase (memory a node kept from an earlier phase counts in the later peaks; its RSS at the start of the phase says how much).\n\n${table(['measure', 'value'], rows)}`;
}

function notifySection(n: NotifyResult): string {
  const rows = [
    ['PUT (write acknowledged)', String(n.writes), '—', pq(n.putMs), '—'],
    [`SSE on ${n.sseNode}`, `${n.sse.received}/${n.writes}`, pq(n.sse.fromCommitMs), pq(n.sse.fromSendMs), pq(n.sse.afterAckMs)],
    ['Redis Pub/Sub `file_notifications`', `${n.redis.received}/${n.writes}`, pq(n.redis.fromCommitMs), pq(n.redis.fromSendMs), pq(n.redis.afterAckMs)],
  ];
  return (
    `## Write -> notification\n\n${n.writes} sequential 1 KiB writes to ${n.writeNode}; ms p50 / p99 from the write's commit ` +
    `(the version's time, taken by the writing node just before its commit; ms resolution: the notification path ` +
    `alone, and what the target is on), from the moment the client started sending the PUT (that adds the write ` +
    `itself: upload, fsyncs, replication), and from the moment its answer arrived (negative: the event came first).\n\n` +
    table(['channel', 'received', 'from commit', 'from send', 'after ack'], rows)
  );
}

function writeRow(mode: string, what: string, w: WritePathResult): string[] {
  const failed = Object.entries(w.statuses).filter(([s]) => s !== '201').map(([s, n]) => `${n}x ${s}`).join(', ');
  return [mode, what, pq(w.putMs), fixed(w.meanWaitMs, 2), `${w.contended}/${w.acquisitions}`, String(w.commitRetries), failed || '0'];
}

function apiRow(mode: string, what: string, a: LockApiResult): string[] {
  return [mode, what, `${pq(a.acquireMs)} (release ${pq(a.releaseMs)})`, '—', '—', '—', String(a.failures)];
}

function locksSection(locks: readonly LockModeResult[]): string {
  const rows = locks.flatMap((l) => [
    writeRow(l.label, `write path: ${l.writeSameName.writes} PUTs, one name, one node`, l.writeSameName),
    writeRow(l.label, `write path: ${l.writeDistinctNames.writes} PUTs, distinct names, one node`, l.writeDistinctNames),
    writeRow(l.label, `write path: ${l.writeContended.clients} writers (one per node), one name`, l.writeContended),
    apiRow(l.label, `lock API (Redis lease): acquire + release x${l.apiUncontended.cycles}`, l.apiUncontended),
    apiRow(l.label, `lock API (Redis lease): ${l.apiContended.clients} clients on one name, x${l.apiContended.cycles}`, l.apiContended),
  ]);
  const head = ['LOCK_MODE', 'case', 'ms p50 / p99 (PUT, or lock acquire)', 'mean lock wait ms', 'contended/acquired', 'commit retries', 'failures'];
  return (
    `## Locks\n\nEach mode on a fresh 3-node cluster. Write-path rows time the whole PUT; "mean lock wait" is ` +
    `kubecdn_lock_wait_seconds (sum/count) over all nodes. The lock API is a Redis lease in every mode.\n\n${table(head, rows)}`
  );
}

function minioSection(m: MinioResult): string {
  const problems = minioProblems(m);
  const flagged = problems.length ? `\n\n**INVALID measurements:**\n${problems.map((p) => `- ${p}`).join('\n')}` : '';
  const control =
    `The write and GET rows again beside the node:http control (bench/writeControl.ts: a PUT is node:http, the body ` +
    `streamed to a file while hashed, linked to its digest's name, data and directory fsynced, one Redis script on a ` +
    `Redis with appendfsync always, 201; a GET reads the head in Redis and streams the blob from disk in 256 KiB reads; ` +
    `no lock, authentication, validation, digest check, log, metrics or notification), measured in the same ` +
    `interleaved rounds: control / MinIO is what Node allows on this machine, kubecdn / control what kubecdn's own ` +
    `path costs. CPU: the schedstat of every thread of each process (ns) over each round, per acknowledged PUT, medians of the rounds.`;
  return `## kubecdn vs MinIO\n\n${minioMethod(m)}\n\n${table(MINIO_TABLE_HEAD, minioTableRows(m))}${flagged}\n\n${control}\n\n${table(WRITE_TABLE_HEAD, writeTableRows(m))}`;
}

export function renderMarkdown(r: BenchResults): string {
  const parts = [
    `# kubecdn benchmark, ${r.startedAt}${r.plan.quick ? ' (--quick: short runs, indicative only)' : ''}`,
    `Machine: ${machineLine(r.machine)}; load average ${r.loadAvg1AtEnd} at the end.`,
    busyWarning(r.machine),
    targetsSection(r),
    r.hits ? hitsSection(r.hits) : '',
    r.cold ? coldSection(r.cold) : '',
    r.coalesce ? coalesceSection(r.coalesce) : '',
    r.upload ? uploadSection(r.upload) : '',
    r.notify ? notifySection(r.notify) : '',
    r.locks ? locksSection(r.locks) : '',
    r.minio ? minioSection(r.minio) : '',
    r.scale ? scaleSection(r.scale) : '',
    r.errors.length ? `## Sections that failed\n\n${r.errors.map((e) => `- ${e.section}: ${e.message}`).join('\n')}` : '',
  ];
  return `${parts.filter(Boolean).join('\n\n')}\n`;
}
