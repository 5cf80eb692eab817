// The shape of one run's results (the JSON written under bench/results/), and the targets of the issue checked
// against them. Pure.
import type { CoalesceResult } from './coalesce.js';
import type { ColdMissResult } from './coldMiss.js';
import type { HitsResult } from './hits.js';
import type { LockModeResult } from './locks.js';
import type { Machine } from './machine.js';
import { minioTargetRows, type MinioResult } from './minioResults.js';
import type { NotifyResult } from './notify.js';
import type { Plan } from './plan.js';
import { TARGETS } from './stats.js';
import { fixed, row, type TargetRow } from './targetRow.js';
import type { ScaleResult } from './scale.js';
import { scaleRows } from './scaleReport.js';
import type { UploadResult } from './upload.js';

export { fixed, type TargetRow } from './targetRow.js';

export interface BenchResults {
  readonly machine: Machine;
  readonly plan: Plan;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** 1-minute load average when the run ended (the start is in `machine`) */
  readonly loadAvg1AtEnd: number;
  readonly hits?: HitsResult;
  readonly cold?: ColdMissResult;
  readonly coalesce?: CoalesceResult;
  readonly upload?: UploadResult;
  readonly notify?: NotifyResult;
  readonly locks?: readonly LockModeResult[];
  readonly minio?: MinioResult;
  readonly scale?: ScaleResult;
  /** sections that failed, with why: their numbers are missing, never made up */
  readonly errors: readonly { readonly section: string; readonly message: string }[];
}

function hitRows(r: BenchResults): TargetRow[] {
  return (r.hits?.sizes ?? []).flatMap((s) => {
    const target = TARGETS.hitVsNginx[s.size];
    if (!target) return [];
    const valid = s.servers.kubecdn.valid && s.servers.nginx.valid;
    const note = [...s.servers.kubecdn.problems, ...s.servers.nginx.problems][0];
    // what the node:http controls reach against the same nginx in the same run: the floor Node sets at this size
    const diskPath = s.diskPathVsNginx === undefined ? '' : `; kubecdn from disk ${fixed(s.diskPathVsNginx, 2, 'x')}`;
    const floor = s.nodeVsNginx === undefined ? '' : ` (node:http: ${fixed(s.nodeVsNginx, 2, 'x')} from memory${s.nodeDiskVsNginx === undefined ? '' : `, ${fixed(s.nodeDiskVsNginx, 2, 'x')} from disk`}${diskPath})`;
    const vsNginx = row({ what: `cache-hit req/s ${s.size}, kubecdn / nginx`, value: s.vsNginx, target, unit: 'x', shown: `${fixed(s.vsNginx, 2, 'x')}${floor}`, valid, note });
    const control = TARGETS.hitVsControl[s.size];
    if (!control) return [vsNginx];
    const { kubecdn, node } = s.servers;
    const shown = `${fixed(s.vsNode, 2, 'x')} (${fixed(kubecdn.rps, 0)} / ${fixed(node.rps, 0)})`;
    const controlNote = [...kubecdn.problems, ...node.problems][0];
    return [vsNginx, row({ what: `cache-hit req/s ${s.size}, kubecdn / node:http control`, value: s.vsNode, target: control, unit: 'x', shown, valid: kubecdn.valid && node.valid, note: controlNote })];
  });
}

function coalesceRow(c: CoalesceResult): TargetRow {
  const note = c.valid ? undefined : `${c.clients - c.ok} of ${c.clients} answers were not 200 with the right bytes`;
  const what = `peer transfers for ${c.clients} concurrent cold misses of one blob`;
  return row({ what, value: c.peerTransfers, target: TARGETS.peerTransfers, unit: '', shown: String(c.peerTransfers), valid: c.valid, note });
}

function uploadRows(u: UploadResult): TargetRow[] {
  const shown = `${u.uploadVsSha.toFixed(2)}x (${u.upload.MBps.toFixed(0)} / ${u.sha256MBps.toFixed(0)} MB/s)`;
  // Refused with default settings is a miss, whatever the second attempt (other settings) measured.
  const refused = u.defaultsRefused === undefined ? undefined : `refused with default settings: ${u.defaultsRefused}; measured with ${u.settings}`;
  const value = refused ? undefined : u.uploadVsSha;
  const verified = u.downloads.every((d) => d.verified);
  const note = verified ? (refused ? `measured with ${u.settings}` : undefined) : 'a download did not return the uploaded bytes';
  return [
    row({ what: '1 GiB upload (R=2) / raw SHA-256 speed', value, target: TARGETS.uploadVsSha, unit: 'x', shown, note: refused }),
    row({ what: 'node peak RSS, 1 GiB upload and downloads', value: u.peakRssMB, target: TARGETS.peakRssMB, unit: ' MB', shown: fixed(u.peakRssMB, 0, ' MB'), valid: verified, note }),
  ];
}

function notifyRow(n: NotifyResult): TargetRow {
  const complete = n.sse.received === n.writes;
  const note = complete ? undefined : `${n.writes - n.sse.received} of ${n.writes} events never arrived`;
  const what = `write (commit) -> SSE notification p99 (write on ${n.writeNode}, SSE on ${n.sseNode})`;
  const p99 = n.sse.fromCommitMs.p99;
  return row({ what, value: p99, target: TARGETS.notifyP99Ms, unit: ' ms', shown: fixed(p99, 1, ' ms'), valid: complete, note });
}

/** One row per target of the issue, for the sections that ran. */
export function targetRows(r: BenchResults): TargetRow[] {
  return [
    ...hitRows(r),
    ...(r.coalesce ? [coalesceRow(r.coalesce)] : []),
    ...(r.upload ? uploadRows(r.upload) : []),
    ...(r.notify ? [notifyRow(r.notify)] : []),
    ...(r.minio ? minioTargetRows(r.minio) : []),
    ...(r.scale ? scaleRows(r.scale) : []),
  ];
}
