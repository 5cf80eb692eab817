// sync DIR PREFIX and put -r PREFIX DIR: upload the files of a directory whose content differs from the live file of
// the same name (digests compared, so unchanged files get no new version), optionally give a delete marker to the
// live names gone locally, a few uploads at a time behind one progress bar.
//
// Duplicates: the API has no "link this name to a stored digest" call, so --on-duplicate=link uploads the bytes and
// lets the node decide: with DEDUP_POLICY=link it stores a version pointing at the existing blob (nothing stored
// twice); with DEDUP_POLICY=reject (the default) it answers 409 duplicate_content, which is reported as "refused" and
// does not fail the run. --on-duplicate=skip asks HEAD /blobs/sha256/{hex} first and creates no name for content
// that is already stored (nor for a second copy within the run).
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pLimit from 'p-limit';
import { readFailure } from '../client.js';
import { CliError, fromApiFailure, interrupted } from '../errors.js';
import { filePath } from '../names.js';
import { probeWrite } from '../probe.js';
import { treeProgress, type TreeProgress } from '../progress.js';
import { wantsProgress, type Runtime } from '../runtime.js';
import type { WriteResult } from '../types.js';
import { hashAll, walkTree } from './local.js';
import { listRemote } from './remote.js';
import { finish, keepOf, type TreeFlags } from './options.js';
import { planUpload, splitDuplicates, type Duplicate, type RemoteEntry, type Upload, type UploadPlan } from './plan.js';
import { pushReport, type Deletion, type Outcome } from './report.js';

export type OnDuplicate = 'link' | 'skip';

export interface PushFlags extends TreeFlags {
  readonly delete?: boolean;
  readonly onDuplicate: OnDuplicate;
}

/** Exit code 0 when every file went (duplicates not written are not failures), else the first failure's. */
export async function pushTree(rt: Runtime, dir: string, prefix: string, flags: PushFlags): Promise<void> {
  const keep = keepOf(flags);
  const [walk, remote] = await Promise.all([walkTree(dir, keep), listRemote(rt, prefix)]);
  for (const rel of walk.skipped) rt.out.note(`skipped ${rel}: not a regular file (links are not followed)`);
  const local = await hashAll(walk.files, flags.parallel, rt.io.stop);
  const plan = planUpload(prefix, local, remote, { remove: flags.delete === true, keep });
  const { upload, skip } = flags.onDuplicate === 'skip' ? await skipStored(rt, plan, remote, flags.parallel) : { upload: plan.upload, skip: [] };
  const dryRun = flags.dryRun === true;
  if (!dryRun) await checkWritable(rt, upload[0]?.name ?? plan.remove[0], upload[0]?.size ?? 0);
  const outcomes = dryRun ? [] : await uploadAll(rt, upload, flags.parallel);
  const deleted = dryRun ? [] : await deleteAll(rt, plan.remove, flags.parallel);
  const report = pushReport({ plan, upload, skip, outcomes, deleted, dryRun });
  rt.out.result(report.json, () => report.text);
  finish(rt, [...outcomes.flatMap((o) => (o.kind === 'failed' ? [o.failure] : [])), ...deleted.flatMap((d) => ('error' in d ? [d] : []))]);
}

/** A wrong or missing token fails once, before any transfer, instead of once per file (probe.ts stores nothing). */
async function checkWritable(rt: Runtime, name: string | undefined, size: number): Promise<void> {
  if (name === undefined) return;
  const probe = await probeWrite(rt, name, size);
  if (probe.kind === 'refused') throw probe.error;
}

/** --on-duplicate=skip: which digests the store already holds (under the prefix: known; elsewhere: asked). */
async function skipStored(
  rt: Runtime,
  plan: UploadPlan,
  remote: readonly RemoteEntry[],
  parallel: number,
): Promise<{ upload: Upload[]; skip: Duplicate[] }> {
  const stored = new Map<string, string | undefined>();
  for (const r of remote) if (r.sha256 !== null && !stored.has(r.sha256)) stored.set(r.sha256, r.name);
  const limit = pLimit(parallel);
  const unknown = [...new Set(plan.upload.map((u) => u.sha256))].filter((d) => !stored.has(d));
  await Promise.all(
    unknown.map((d) =>
      limit(async () => {
        const res = await rt.client.fetchRaw(`/blobs/sha256/${d}`, { method: 'HEAD' });
        if (res.ok) stored.set(d, undefined);
      }),
    ),
  );
  return splitDuplicates(plan.upload, stored);
}

async function uploadAll(rt: Runtime, uploads: readonly Upload[], parallel: number): Promise<Outcome[]> {
  const total = uploads.reduce((sum, u) => sum + u.size, 0);
  const progress = await treeProgress(wantsProgress(rt, total), 'upload', total, uploads.length, rt.io.stderr);
  const limit = pLimit(parallel);
  try {
    return await Promise.all(uploads.map((u) => limit(() => uploadOne(rt, u, progress))));
  } finally {
    progress.stop();
  }
}

async function uploadOne(rt: Runtime, u: Upload, progress: TreeProgress): Promise<Outcome> {
  const meter = progress.meter();
  const source = u.size === 0 ? Readable.from([]) : createReadStream(u.path, { end: u.size - 1 });
  pipeline(source, meter).catch(() => undefined); // a read error destroys the meter, which fails the request
  const headers = { 'Content-Length': String(u.size), 'X-Content-SHA256': u.sha256 };
  try {
    const body = Readable.toWeb(meter) as ReadableStream<Uint8Array>;
    const res = await rt.client.fetchRaw(filePath(u.name), { method: 'PUT', headers, body, ctx: { name: u.name } });
    if (res.ok) return { kind: 'written', upload: u, result: (await res.json()) as WriteResult };
    const failure = await readFailure(res);
    if (failure.code === 'duplicate_content') {
      return { kind: 'refused', upload: u, existing: failure.details.existing as { name?: string; version?: number } | undefined };
    }
    return { kind: 'failed', failure: { name: u.name, error: fromApiFailure(failure, { server: rt.cfg.server, name: u.name }) } };
  } catch (err) {
    if (rt.io.stop.aborted) throw interrupted();
    if (err instanceof CliError) return { kind: 'failed', failure: { name: u.name, error: err } };
    throw err;
  } finally {
    meter.destroy(); // a node that answered before reading the whole body leaves the file open otherwise
    progress.fileDone();
  }
}

async function deleteAll(rt: Runtime, names: readonly string[], parallel: number): Promise<Deletion[]> {
  const limit = pLimit(parallel);
  return Promise.all(
    names.map((name) =>
      limit(async (): Promise<Deletion> => {
        try {
          const r = await rt.client.json<WriteResult>(filePath(name), { method: 'DELETE', ctx: { name } });
          return { name, version: r.version };
        } catch (err) {
          if (rt.io.stop.aborted) throw interrupted();
          if (err instanceof CliError) return { name, error: err };
          throw err;
        }
      }),
    ),
  );
}
