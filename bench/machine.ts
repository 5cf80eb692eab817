// What the numbers were measured on: results from different machines (or a busy one) are not comparable.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './context.js';
import { NGINX, VARNISHD } from './servers.js';

const exec = promisify(execFile);

export interface Machine {
  readonly os: string;
  readonly kernel: string;
  readonly cpu: string;
  readonly sha_ni: boolean;
  readonly nproc: number;
  readonly memoryGiB: number;
  /** 1-minute load average when the run started: another busy process skews everything */
  readonly loadAvg1: number;
  readonly node: string;
  readonly nginx: string;
  readonly varnish: string;
  readonly wrk: string;
  readonly redis: string;
  readonly date: string;
  readonly gitCommit: string;
  readonly gitDirty: boolean;
  /** the filesystem the run's stores live on (dataFsLine); absent in results from before it was recorded */
  readonly dataFs?: string | undefined;
}

/**
 * Pure: the filesystem of the run's stores as the report names it. Writes depend on it more than on anything else
 * here: on this machine's root ext4, which has no journal, a 1 KiB file's fdatasync took 0.35 ms and creating a file
 * 70-1,000 us of CPU (ext4 without a journal skips inodes freed in the last minutes, one by one); on a journaled ext4
 * on the same disk, 0.96 ms and 25-36 us. `journalTask`: ext4's /sys/fs/ext4/<dev>/journal_task ("<none>": none).
 */
export function dataFsLine(fstype: string, source: string, journalTask: string | undefined): string {
  if (fstype !== 'ext4' || journalTask === undefined) return `${fstype} on ${source}`;
  return `ext4 ${journalTask.trim() === '<none>' ? 'without a journal' : 'with a journal'} on ${source}`;
}

/** What `dir` is mounted from (findmnt, util-linux); "unknown" when that cannot be told. */
async function dataFs(dir: string): Promise<string> {
  const found = await exec('findmnt', ['-n', '-o', 'SOURCE,FSTYPE', '-T', dir]).then((r) => r.stdout.trim(), () => '');
  const [source, fstype] = found.split(/\s+/);
  if (source === undefined || fstype === undefined) return 'unknown';
  const task = fstype === 'ext4' ? await fs.readFile(`/sys/fs/ext4/${path.basename(source)}/journal_task`, 'utf8').catch(() => undefined) : undefined;
  return dataFsLine(fstype, source, task);
}

/** First line matching `re` in a command's output (some of these print their version on stderr, or exit 1). */
async function version(cmd: string, args: string[], re: RegExp): Promise<string> {
  const out = await exec(cmd, args).then(
    (r) => r.stdout + r.stderr,
    (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
  );
  return re.exec(out)?.[1] ?? 'unknown';
}

async function osName(): Promise<string> {
  const text = await fs.readFile('/etc/os-release', 'utf8').catch(() => '');
  return /^PRETTY_NAME="?([^"\n]+)"?/m.exec(text)?.[1] ?? `${os.type()} ${os.release()}`;
}

async function git(args: string[]): Promise<string> {
  return exec('git', args, { cwd: ROOT }).then((r) => r.stdout.trim(), () => '');
}

export async function describeMachine(): Promise<Machine> {
  const cpuinfo = await fs.readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const [osText, nginx, varnish, wrk, redis, commit, dirty, storesOn] = await Promise.all([
    osName(),
    version(NGINX, ['-v'], /nginx\/(\S+)/),
    version(VARNISHD, ['-V'], /(varnish-\S+)/),
    version('wrk', ['-v'], /^wrk (\S+)/m),
    version('redis-server', ['--version'], /v=(\S+)/),
    git(['rev-parse', 'HEAD']),
    git(['status', '--porcelain', '--untracked-files=no']),
    dataFs(os.tmpdir()), // the run directory's parent (proc.ts)
  ]);
  return {
    os: osText,
    kernel: os.release(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    sha_ni: /\bsha_ni\b/.test(cpuinfo),
    nproc: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    loadAvg1: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    node: process.version,
    nginx,
    varnish,
    wrk,
    redis,
    date: new Date().toISOString(),
    gitCommit: commit || 'unknown',
    gitDirty: dirty !== '',
    dataFs: storesOn,
  };
}
