// What the numbers were measured on: results from different machines (or a busy one) are not comparable.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
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
  const [osText, nginx, varnish, wrk, redis, commit, dirty] = await Promise.all([
    osName(),
    version(NGINX, ['-v'], /nginx\/(\S+)/),
    version(VARNISHD, ['-V'], /(varnish-\S+)/),
    version('wrk', ['-v'], /^wrk (\S+)/m),
    version('redis-server', ['--version'], /v=(\S+)/),
    git(['rev-parse', 'HEAD']),
    git(['status', '--porcelain', '--untracked-files=no']),
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
  };
}
