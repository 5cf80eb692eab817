// The scale section in the report: its targets (docs/benchmarks.md says why these) and its table. Pure.
import type { TargetRow } from './results.js';
import type { ScaleResult } from './scale.js';
import type { Io } from './scaleProbe.js';
import { describeTarget, verdict, type Target } from './stats.js';

/** 1,000,000 blobs in < 2 minutes (the issue's repair target), applied to every per-blob pass. */
const BLOBS_PER_SEC = Math.ceil(1_000_000 / 120);

export const SCALE_TARGETS = {
  /** a 4 GiB Redis holds >= 4M versions: 1 KiB per version, all-in (hash, listing, content index) */
  bytesPerVersion: { op: '<', goal: 1024 } as Target,
  pageP99Ms: { op: '<', goal: 50 } as Target,
  /** a full listing of 1M names in < 1 minute */
  listingNamesPerSec: { op: '>=', goal: Math.ceil(1_000_000 / 60) } as Target,
  readySeconds: { op: '<', goal: 5 } as Target,
  passBlobsPerSec: { op: '>=', goal: BLOBS_PER_SEC } as Target,
  hotPathVsEmpty: { op: '>=', goal: 0.9 } as Target,
} as const;

const f = (n: number | undefined, digits: number, unit = ''): string => (n === undefined || !Number.isFinite(n) ? '—' : `${n.toFixed(digits)}${unit}`);
const int = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '—' : Math.round(n).toLocaleString('en-US'));

function row(what: string, value: number | undefined, target: Target, unit: string, shown: string, note?: string): TargetRow {
  const base = { what, value, shown, goal: describeTarget(target, unit), verdict: verdict(value, target) };
  return note === undefined ? base : { ...base, note };
}

/** blobs per second of a pass that took `seconds` (undefined when it did not finish) */
export const passRate = (blobs: number, seconds: number | undefined): number | undefined =>
  seconds === undefined || seconds <= 0 ? undefined : blobs / seconds;

function passRows(s: ScaleResult): TargetRow[] {
  const { maintenance: m, restart: r } = s;
  const t = SCALE_TARGETS.passBlobsPerSec;
  const repairRate = passRate(r.blobs, r.repair.seconds) ?? (r.repair.done ? undefined : r.repair.lookupsPerSec);
  const repairShown = r.repair.done
    ? `${f(r.repair.seconds, 1, ' s')} for ${int(r.blobs)} blobs (${int(repairRate)}/s)`
    : `not done after ${f(r.repair.waitedSeconds, 0, ' s')}: ~${int(r.repair.lookupsPerSec)} blobs/s, ~${f(r.repair.extrapolatedSeconds, 0, ' s')} for ${int(r.blobs)}`;
  const pass = (what: string, p: ScaleResult['maintenance']['gc']): TargetRow => {
    const blobs = p.blobs ?? m.blobs;
    const rate = passRate(blobs, p.seconds);
    const shown = p.done ? `${f(p.seconds, 1, ' s')} for ${int(blobs)} blobs (${int(rate)}/s)` : 'did not finish in time';
    return row(what, rate, t, ' blobs/s', shown);
  };
  return [
    row(`restarted node: kill -9 to /readyz 200 (${int(r.blobs)} local blobs)`, r.readySeconds, SCALE_TARGETS.readySeconds, ' s', f(r.readySeconds, 2, ' s')),
    row('restarted node: its start-up repair pass', repairRate, t, ' blobs/s', repairShown, r.repair.done ? undefined : 'a pass still running: the rate is Redis lookups/s over the wait'),
    pass('garbage collection pass (one node\'s store)', m.gc),
    pass('scrub pass at the default SCRUB_BYTES_PER_SEC (one node\'s store)', m.scrub),
  ];
}

/** One row per target, for the report's Targets table. */
export function scaleRows(s: ScaleResult): TargetRow[] {
  const { memory: mem, listing: l, hotPath: h } = s;
  const namesPerSec = l.fullListing.complete ? l.fullListing.names / l.fullListing.seconds : undefined;
  return [
    row(`Redis bytes per version, all-in (${int(s.files)} files x ${s.versions / s.files} versions)`, mem.bytesPerVersion, SCALE_TARGETS.bytesPerVersion, ' B', `${int(mem.bytesPerVersion)} B (${int(mem.bytesPerFile)} B per file)`),
    row(`listing page p99 (GET /files?prefix=<folder>, ${l.pages} folders)`, l.pageMs.p99, SCALE_TARGETS.pageP99Ms, ' ms', f(l.pageMs.p99, 1, ' ms')),
    row(`full listing of ${int(s.files)} names (pages of 1000)`, namesPerSec, SCALE_TARGETS.listingNamesPerSec, ' names/s', `${f(l.fullListing.seconds, 1, ' s')} (${int(namesPerSec)}/s)`, l.fullListing.complete ? undefined : 'stopped incomplete'),
    ...passRows(s),
    { ...row(`hot path 1 KiB req/s, ${int(s.files)} files / empty store`, h.ratio, SCALE_TARGETS.hotPathVsEmpty, 'x', `${f(h.ratio, 2, 'x')} (${int(h.fullRps)} / ${int(h.emptyRps)})`), ...(h.valid ? {} : { verdict: 'INVALID' as const, note: 'wrk saw errors' }) },
  ];
}

const table = (head: string[], rows: string[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

const MB = 1024 * 1024;
const io = (x: Io): string => `read ${f(x.readBytes / MB, 1)} MB / written ${f(x.writeBytes / MB, 1)} MB from disk; ${f(x.rchar / MB, 1)} MB in ${int(x.syscr)} read calls`;

export function scaleSection(s: ScaleResult): string {
  const { seed, commits: c, memory: mem, listing: l, hotPath: h, maintenance: m, restart: r } = s;
  const rows = [
    ['store', `${int(s.files)} files, ${int(s.versions)} versions (write, delete, revert to 1), ${int(s.blobs)} blobs of 64-256 B; copies ${Object.entries(s.copies).map(([k, v]) => `${k} ${int(v)}`).join(', ')}`],
    ['seeding (setup): Redis, blobs on disk', `${f(seed.redisSeconds, 1, ' s')}, ${f(seed.blobSeconds, 1, ' s')}`],
    [`commit script on the full store, ${int(c.commits)} commits (delete, revert), nodes subscribed`, `${int(c.commitsPerSec)}/s; Redis CPU ${f(c.redisCpuUsPerCommit, 1)} µs per commit (one Redis core: ~${int(1e6 / c.redisCpuUsPerCommit)}/s)`],
    ['Redis used_memory', `${f(mem.usedMemoryMB, 0, ' MB')}: ${int(mem.bytesPerFile)} B per file, ${int(mem.bytesPerVersion)} B per version`],
    ['MEMORY USAGE (sampled)', `file hash ${int(mem.fileHashBytes)} B (${mem.fileHashEncoding}), content index entry ${int(mem.contentKeyBytes)} B, listing zset ${f(mem.listingZsetMB, 1, ' MB')}, events stream ${f(mem.eventsStreamMB, 1, ' MB')}`],
    [`listing page, ${l.pages} random folders, limit ${l.pageLimit}`, `p50 ${f(l.pageMs.p50, 1)} / p99 ${f(l.pageMs.p99, 1)} / max ${f(l.pageMs.max, 1)} ms`],
    ['full listing, cursor to cursor', `${int(l.fullListing.names)} names in ${int(l.fullListing.pages)} pages, ${f(l.fullListing.seconds, 1, ' s')}${l.fullListing.complete ? '' : ' (INCOMPLETE: time bound)'}`],
    [`hot path: 1 KiB on ${h.node}, wrk median req/s`, `${int(h.fullRps)} with ${int(s.files)} files, ${int(h.emptyRps)} empty: ${f(h.ratio, 2, 'x')}`],
    [`GC pass (standalone node, hard-linked copy of one store + ${int(m.garbage)} garbage blobs)`, `${f(m.gc.seconds, 1, ' s')}, ${int(m.gc.blobs)} blobs, ${int(m.gc.removed)} removed; ${io(m.gc.io)}`],
    ['scrub pass (same store, default rate)', `${f(m.scrub.seconds, 1, ' s')}, ${int(m.scrub.blobs)} blobs, ${int(m.scrub.removed)} corrupt; ${io(m.scrub.io)}`],
    [`restart ${r.node} (kill -9, same port and DATA_DIR)`, `ready ${f(r.readySeconds, 2, ' s')}; repair pass ${r.repair.done ? `${f(r.repair.seconds, 1, ' s')}: checked ${int(r.repair.checked)}, pushed ${int(r.repair.pushed)}, failed ${int(r.repair.failed)}` : `not done after ${f(r.repair.waitedSeconds, 0, ' s')} (~${int(r.repair.lookupsPerSec)} lookups/s; ~${f(r.repair.extrapolatedSeconds, 0, ' s')} at that rate)`}`],
  ];
  return (
    `## Scale\n\nA 3-node cluster (R=2) whose Redis was filled through the commit script and whose blobs were written ` +
    `straight to their homes; everything below is measured through the product (HTTP, Redis INFO/MEMORY, node logs, ` +
    `/proc/<pid>/io). See docs/scale.md.\n\n${table(['measure', 'value'], rows)}`
  );
}
