// kubecdn get NAME [--version N] [-o FILE|-]: streams the bytes to a file or stdout, hashing them on the way, and
// refuses to keep anything whose SHA-256 differs from the ETag the node sent (download.ts). With -r, every live file
// under a prefix into a directory (tree/pull.ts).
import { Command } from 'commander';
import { openDownload, receiveToFile, receiveToStdout } from '../download.js';
import { CliError, EXIT } from '../errors.js';
import { formatBytes } from '../format.js';
import { checkName, filePath, query } from '../names.js';
import { parseVersionArg } from '../options.js';
import type { Io } from '../output.js';
import { progressMeter } from '../progress.js';
import { examples, runtime, wantsProgress, type Runtime } from '../runtime.js';
import { treeOnly, withTreeOptions, type TreeFlags } from '../tree/options.js';
import { normalizePrefix } from '../tree/plan.js';
import { pullTree } from '../tree/pull.js';

interface GetOptions extends TreeFlags {
  readonly version?: number;
  readonly output?: string;
  readonly recursive?: boolean;
}

export function getCommand(io: Io): Command {
  return withTreeOptions(new Command('get'))
    .description('download a file (the latest version, or --version N) and verify its SHA-256; with -r, every file under a prefix')
    .argument('<name>', 'the file name, e.g. docs/readme.md (with -r: a prefix, e.g. site/)')
    .argument('[dir]', 'with -r: the local directory to write into')
    .option('--version <n>', 'a specific version instead of the latest', parseVersionArg)
    .option('-o, --output <file>', 'write to FILE ("-": stdout; default: stdout when piped, a file named after NAME on a terminal)')
    .option('-r, --recursive', 'every live file under the prefix NAME into DIR (files that already match are skipped)')
    .addHelpText(
      'after',
      examples([
        'kubecdn get docs/readme.md              # on a terminal: writes ./readme.md',
        'kubecdn get docs/readme.md -o - | less',
        'kubecdn get site/logo.png -o logo.png',
        'kubecdn get site/logo.png --version 2 -o logo-v2.png --json',
        'kubecdn get -r site/ ./public --exclude "*.map"',
      ]),
    )
    .action(async (name: string, dir: string | undefined, opts: GetOptions, cmd: Command) => {
      const rt = runtime(cmd, io);
      if (opts.recursive === true) {
        if (dir === undefined) throw new CliError(EXIT.usage, 'get -r needs a directory: kubecdn get -r PREFIX DIR.', 'invalid_option');
        if (opts.version !== undefined || opts.output !== undefined) {
          throw new CliError(EXIT.usage, 'get -r takes no --version or --output.', 'invalid_option');
        }
        return pullTree(rt, normalizePrefix(name), dir, opts);
      }
      if (dir !== undefined) throw new CliError(EXIT.usage, `Unexpected argument "${dir}": write to a file with -o FILE (or use -r).`, 'invalid_option');
      if (treeOnly(opts)) throw new CliError(EXIT.usage, '--include, --exclude and --dry-run go with -r.', 'invalid_option');
      return runGet(rt, name, opts);
    });
}

/**
 * Where `get` writes: -o when given; otherwise stdout when it is a pipe or a file (scripts, `> out`), and on a
 * terminal a file named after the name's last segment, as `curl -O` does: binary on a screen helps no one. Pure.
 */
export function outputFor(output: string | undefined, name: string, stdoutIsTTY: boolean): string {
  if (output !== undefined) return output;
  return stdoutIsTTY ? (checkName(name).split('/').at(-1) ?? name) : '-';
}

async function runGet(rt: Runtime, name: string, opts: GetOptions): Promise<void> {
  const output = outputFor(opts.output, name, rt.io.stdout.isTTY === true);
  const res = await rt.client.send(filePath(name) + query({ version: opts.version }), { ctx: { name, version: opts.version } });
  const length = Number(res.headers.get('content-length') ?? NaN);
  const toStdout = output === '-';
  const show = wantsProgress(rt, Number.isFinite(length) ? length : undefined, toStdout);
  const dl = openDownload(name, res, await progressMeter(show, 'get', length, rt.io.stderr));
  if (toStdout) return receiveToStdout(rt, dl);
  await receiveToFile(rt, dl, output);
  const version = Number(res.headers.get('x-content-version') ?? NaN);
  const summary = { name, version, sha256: dl.expected, size: dl.hasher.bytes, contentType: res.headers.get('content-type'), output };
  rt.out.result(summary, () => `Wrote ${name} version ${version} (${formatBytes(dl.hasher.bytes)}, sha256 ${dl.expected}) to ${output}`);
}
