// Human-readable output, pure: sizes, tables, version records and event lines. --json output never comes through
// here; it prints the server's shapes as they are.
import type { VersionRecord } from './types.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[i]}`;
}

export const shortSha = (sha: string | null): string => (sha === null ? '-' : sha.slice(0, 12));

/** Columns padded to their widest cell; the last column is not padded (names can be long). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  return all
    .map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join('  ').trimEnd())
    .join('\n');
}

/** What is special about a version, in a few words. */
export function notes(r: VersionRecord): string {
  const out: string[] = [];
  if (r.deleted) out.push('deleted');
  if (r.revertedFrom !== null) out.push(`revert of v${r.revertedFrom}`);
  if (r.deduplicated) out.push('deduplicated');
  return out.join(', ');
}

/** The one-line summary of a write, revert or delete answer. */
export function writeSummary(r: { name: string; event?: string; unchanged?: boolean } & VersionRecord): string {
  if (r.unchanged) return `${r.name} unchanged: version ${r.version} already has this content (${shortSha(r.sha256)})`;
  if (r.deleted) return `Deleted ${r.name} (version ${r.version} is a delete marker; older versions stay readable)`;
  const what = r.revertedFrom !== null ? `reverted to the content of version ${r.revertedFrom}` : 'stored';
  return `${r.name} version ${r.version} ${what}: ${formatBytes(r.size)}, sha256 ${r.sha256 ?? '-'}`;
}

export function versionRows(versions: readonly VersionRecord[]): string[][] {
  return versions.map((v) => [
    `v${v.version}`,
    v.deleted ? '-' : formatBytes(v.size),
    v.createdAt,
    shortSha(v.sha256),
    notes(v),
  ]);
}

type EventShape = Record<string, unknown> & { event: string; filename: string };

function parseEvent(raw: string): EventShape | undefined {
  let ev: unknown;
  try {
    ev = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const e = ev as Partial<EventShape> | null;
  return typeof e?.event === 'string' && typeof e.filename === 'string' ? (e as EventShape) : undefined;
}

/** One line per change event; unknown shapes (other publishers on the shared channel) are shown as they came. */
export function eventLine(raw: string): string {
  const ev = parseEvent(raw);
  if (ev === undefined) return raw;
  const parts = [typeof ev.time === 'string' ? ev.time : '-', ev.event.padEnd(13), ev.filename];
  if (typeof ev.version === 'number') parts.push(`v${ev.version}`);
  if (typeof ev.size === 'number' && ev.event !== 'file_deleted') parts.push(formatBytes(ev.size));
  if (typeof ev.revertedFrom === 'number') parts.push(`(from v${ev.revertedFrom})`);
  if (typeof ev.id === 'string') parts.push(`[${ev.id}]`);
  return parts.join('  ');
}
