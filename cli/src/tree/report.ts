// What sync / put -r did, as --json and as text. Pure.
import { formatBytes } from '../format.js';
import type { WriteResult } from '../types.js';
import { failureJson, type Failure } from './options.js';
import type { Duplicate, Upload, UploadPlan } from './plan.js';

export type Outcome =
  | { readonly kind: 'written'; readonly upload: Upload; readonly result: WriteResult }
  | { readonly kind: 'refused'; readonly upload: Upload; readonly existing: { name?: string; version?: number } | undefined }
  | { readonly kind: 'failed'; readonly failure: Failure };

export type Deletion = { readonly name: string; readonly version: number } | Failure;

export interface PushInput {
  readonly plan: UploadPlan;
  /** the uploads planned (after --on-duplicate=skip took its share) */
  readonly upload: readonly Upload[];
  readonly skip: readonly Duplicate[];
  readonly outcomes: readonly Outcome[];
  readonly deleted: readonly Deletion[];
  readonly dryRun: boolean;
}

export interface PushJson {
  readonly dryRun: boolean;
  readonly uploaded: ReadonlyArray<{ name: string; reason: string; size: number; sha256: string; version?: number; deduplicated?: boolean }>;
  readonly unchanged: readonly string[];
  readonly duplicates: ReadonlyArray<{ name: string; action: 'skipped' | 'refused'; sameAs: string | null }>;
  readonly deleted: ReadonlyArray<{ name: string; version?: number }>;
  readonly failed: ReadonlyArray<{ name: string; code: string; message: string }>;
}

export function pushReport(input: PushInput): { json: PushJson; text: string } {
  const { plan, skip, dryRun } = input;
  const base = (u: Upload): { name: string; reason: string; size: number; sha256: string } => ({ name: u.name, reason: u.reason, size: u.size, sha256: u.sha256 });
  const written = input.outcomes.flatMap((o) => (o.kind === 'written' ? [o] : []));
  const raced = written.filter((o) => o.result.unchanged === true).map((o) => o.upload.name);
  const uploaded = dryRun
    ? input.upload.map(base)
    : written.filter((o) => o.result.unchanged !== true).map((o) => ({ ...base(o.upload), version: o.result.version, deduplicated: o.result.deduplicated }));
  const refused = input.outcomes.flatMap((o) => (o.kind === 'refused' ? [{ name: o.upload.name, action: 'refused' as const, sameAs: o.existing?.name ?? null }] : []));
  const json: PushJson = {
    dryRun,
    uploaded,
    unchanged: [...plan.unchanged, ...raced],
    duplicates: [...skip.map((s) => ({ name: s.name, action: 'skipped' as const, sameAs: s.sameAs ?? null })), ...refused],
    deleted: dryRun ? plan.remove.map((name) => ({ name })) : input.deleted.flatMap((d) => ('version' in d ? [d] : [])),
    failed: input.outcomes.flatMap((o) => (o.kind === 'failed' ? [failureJson(o.failure)] : [])).concat(
      input.deleted.flatMap((d) => ('error' in d ? [failureJson(d)] : [])),
    ),
  };
  return { json, text: pushText(json) };
}

function pushText(j: PushJson): string {
  const would = j.dryRun ? 'would ' : '';
  const lines = [
    ...j.uploaded.map((u) => `${would}upload (${u.reason}) ${u.name}${u.version === undefined ? '' : ` -> version ${u.version}${u.deduplicated === true ? ' (linked to stored content)' : ''}`}`),
    ...j.duplicates.map((d) => `${d.action === 'skipped' ? `${would}skip` : 'refused by the node'} ${d.name}: same content as ${d.sameAs === null ? 'a stored file' : `"${d.sameAs}"`}`),
    ...j.deleted.map((d) => `${would}delete ${d.name}${d.version === undefined ? '' : ` (delete marker: version ${d.version})`}`),
  ];
  const size = formatBytes(j.uploaded.reduce((s, u) => s + u.size, 0));
  const counts =
    `${j.uploaded.length} ${j.dryRun ? 'to upload' : 'uploaded'} (${size}), ${j.unchanged.length} unchanged, ` +
    `${j.duplicates.length} duplicates not written, ${j.deleted.length} ${j.dryRun ? 'to delete' : 'deleted'}` +
    (j.failed.length === 0 ? '' : `, ${j.failed.length} failed`);
  lines.push(j.dryRun ? `Dry run: ${counts}; nothing was changed.` : `${counts}.`);
  return lines.join('\n');
}
