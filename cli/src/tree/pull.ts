// get -r PREFIX DIR: the live files under PREFIX into DIR, a few at a time behind one progress bar. A local file that
// already has the listed digest is left alone; every download is verified and renamed into place only when it
// matched (download.ts), and no name may write outside DIR (plan.ts localPathFor).
import fs from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { openDownload, receiveToFile } from '../download.js';
import { CliError, interrupted } from '../errors.js';
import { filePath } from '../names.js';
import { treeProgress, type TreeProgress } from '../progress.js';
import { localFileError, wantsProgress, type Runtime } from '../runtime.js';
import { localDigest } from './local.js';
import { failureJson, finish, keepOf, type Failure, type TreeFlags } from './options.js';
import { localPathFor, type RemoteEntry } from './plan.js';
import { listRemote } from './remote.js';

interface Job extends RemoteEntry {
  readonly output: string;
}

type Outcome = { readonly kind: 'downloaded' | 'unchanged'; readonly job: Job } | { readonly kind: 'failed'; readonly failure: Failure };

export async function pullTree(rt: Runtime, prefix: string, dir: string, flags: TreeFlags): Promise<void> {
  const keep = keepOf(flags);
  const remote = (await listRemote(rt, prefix)).filter((r) => keep(r.name.slice(prefix.length)));
  // Every name is checked before anything is written: one unsafe name refuses the whole run.
  const jobs: Job[] = remote.map((r) => ({ ...r, output: localPathFor(dir, prefix, r.name) }));
  if (flags.dryRun === true) {
    const json = { dryRun: true, files: jobs.map((j) => ({ name: j.name, output: j.output, size: j.size })) };
    rt.out.result(json, () => [...jobs.map((j) => `would get ${j.name} -> ${j.output}`), `Dry run: ${jobs.length} files; nothing was written.`].join('\n'));
    return;
  }
  const total = jobs.reduce((sum, j) => sum + j.size, 0);
  const progress = await treeProgress(wantsProgress(rt, total), 'get', total, jobs.length, rt.io.stderr);
  const limit = pLimit(flags.parallel);
  const outcomes = await Promise.all(jobs.map((j) => limit(() => pullOne(rt, j, progress)))).finally(() => progress.stop());
  const failures = outcomes.flatMap((o) => (o.kind === 'failed' ? [o.failure] : []));
  const names = (kind: string): string[] => outcomes.flatMap((o) => (o.kind === kind && 'job' in o ? [o.job.name] : []));
  const json = { dryRun: false, downloaded: names('downloaded'), unchanged: names('unchanged'), failed: failures.map(failureJson) };
  rt.out.result(json, () =>
    [
      ...json.downloaded.map((n) => `got ${n}`),
      `${json.downloaded.length} downloaded, ${json.unchanged.length} unchanged` + (failures.length === 0 ? ` into ${dir}.` : `, ${failures.length} failed.`),
    ].join('\n'),
  );
  finish(rt, failures);
}

async function pullOne(rt: Runtime, job: Job, progress: TreeProgress): Promise<Outcome> {
  try {
    if (job.sha256 !== null && (await localDigest(job.output, job.size, rt.io.stop)) === job.sha256) {
      return { kind: 'unchanged', job };
    }
    await fs.mkdir(path.dirname(job.output), { recursive: true }).catch((err: unknown) => {
      throw localFileError(err, path.dirname(job.output), 'create the directory');
    });
    const res = await rt.client.send(filePath(job.name), { ctx: { name: job.name } });
    await receiveToFile(rt, openDownload(job.name, res, progress.meter()), job.output);
    return { kind: 'downloaded', job };
  } catch (err) {
    if (rt.io.stop.aborted) throw interrupted();
    if (err instanceof CliError) return { kind: 'failed', failure: { name: job.name, error: err } };
    throw err;
  } finally {
    progress.fileDone();
  }
}
