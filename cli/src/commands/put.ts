// kubecdn put NAME FILE|-: streams a file (or stdin) to the node. A file is hashed first, by streaming it once, so
// the node can verify X-Content-SHA256 and store nothing on a mismatch; stdin cannot be read twice, so it goes
// without the header and the CLI compares the digest the node reports with what it sent.
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import { readFailure } from '../client.js';
import { CliError, EXIT, fromApiFailure, interrupted, networkReason } from '../errors.js';
import { writeSummary } from '../format.js';
import { filePath, query } from '../names.js';
import type { Io } from '../output.js';
import { progressMeter } from '../progress.js';
import { examples, localFileError, runtime, wantsProgress, type Runtime } from '../runtime.js';
import { hashFile, HashCounter } from '../transfer.js';
import type { WriteResult } from '../types.js';
import { withWriteOptions, writeExtras, type WriteFlags } from '../writeOptions.js';
import { probeWrite, PREFLIGHT_MIN_BYTES } from '../probe.js';
import { treeOnly, withTreeOptions } from '../tree/options.js';
import { normalizePrefix } from '../tree/plan.js';
import { pushTree, type PushFlags } from '../tree/push.js';
import { onDuplicateOption } from './sync.js';

interface PutOptions extends WriteFlags, Partial<PushFlags> {
  readonly contentType?: string;
  readonly recursive?: boolean;
}

interface Source {
  readonly open: () => Readable;
  readonly size: number | undefined;
  readonly sha256: string | undefined;
}

export function putCommand(io: Io): Command {
  return withTreeOptions(withWriteOptions(new Command('put')))
    .description('upload FILE (or stdin with "-") as a new version of NAME; with -r, the files of a directory under a prefix')
    .argument('<name>', 'the file name to write, e.g. site/index.html (with -r: a prefix, e.g. site/)')
    .argument('<file>', 'a local file, or "-" for stdin (with -r: a directory)')
    .option('-r, --recursive', 'upload the new and changed files of the directory FILE under the prefix NAME (like sync, never deletes)')
    .addOption(onDuplicateOption())
    .option('--content-type <type>', 'the Content-Type to store (default: guessed by the node from the name)')
    .addHelpText(
      'after',
      examples([
        'kubecdn put site/index.html ./index.html',
        'tar c assets | kubecdn put backups/assets.tar - --content-type application/x-tar',
        'KUBECDN_TOKEN=... kubecdn put docs/readme.md README.md --json',
        'kubecdn put site/index.html ./index.html --lock-token "$TOKEN"   # while holding its lock',
        'kubecdn put -r site/ ./public --exclude "*.map"',
      ]),
    )
    .action(async (name: string, file: string, opts: PutOptions, cmd: Command) => {
      const rt = runtime(cmd, io);
      if (opts.recursive !== true) {
        if (treeOnly(opts)) throw new CliError(EXIT.usage, '--include, --exclude and --dry-run go with -r.', 'invalid_option');
        return runPut(rt, name, file, opts);
      }
      if (opts.lockToken !== undefined || opts.wait !== undefined || opts.contentType !== undefined) {
        throw new CliError(EXIT.usage, 'put -r takes no --lock-token, --wait or --content-type (each file is its own write).', 'invalid_option');
      }
      return pushTree(rt, file, normalizePrefix(name), { ...(opts as PushFlags), delete: false });
    });
}

async function runPut(rt: Runtime, name: string, file: string, opts: PutOptions): Promise<void> {
  const source = file === '-' ? stdinSource(rt.io) : await fileSource(rt, name, file);
  const extras = writeExtras(opts);
  const headers = { ...putHeaders(source, opts.contentType), ...extras.headers };

  const sent = new HashCounter();
  const meter = await progressMeter(wantsProgress(rt, source.size), 'put', source.size ?? 0, rt.io.stderr);
  // A read error anywhere destroys the meter, which fails the request body and so the fetch below.
  pipeline(source.open(), sent, meter).catch(() => undefined);
  const body = Readable.toWeb(meter) as ReadableStream<Uint8Array>;
  let res: Response;
  try {
    res = await rt.client.fetchRaw(filePath(name) + query(extras.query), { method: 'PUT', headers, body, ctx: { name } });
  } catch (err) {
    meter.destroy();
    if (rt.io.stop.aborted) throw interrupted();
    throw await explainUploadFailure(rt, name, source.size, err);
  }
  if (!res.ok) throw fromApiFailure(await readFailure(res), { server: rt.cfg.server, name });
  const result = (await res.json()) as WriteResult;
  const digest = source.sha256 ?? sent.digest();
  if (result.sha256 !== digest) {
    throw new CliError(
      EXIT.integrity,
      `The node stored "${name}" with sha256 ${result.sha256 ?? 'none'}, but the bytes sent hash to ${digest}.`,
      'checksum_mismatch',
    );
  }
  rt.out.result(result, () => writeSummary(result));
}

/** Only what is known: stdin has no length or digest up front, and no --content-type lets the node guess. Pure. */
export function putHeaders(source: Omit<Source, 'open'>, contentType: string | undefined): Record<string, string> {
  return {
    ...(contentType === undefined ? {} : { 'Content-Type': contentType }),
    ...(source.size === undefined ? {} : { 'Content-Length': String(source.size) }),
    ...(source.sha256 === undefined ? {} : { 'X-Content-SHA256': source.sha256 }),
  };
}

function stdinSource(io: Io): Source {
  return { open: () => Readable.from(io.stdin), size: undefined, sha256: undefined };
}

async function fileSource(rt: Runtime, name: string, file: string): Promise<Source> {
  const stat = await fs.stat(file).catch((err: unknown) => {
    throw localFileError(err, file, 'read');
  });
  if (!stat.isFile()) throw new CliError(EXIT.usage, `${file} is not a regular file (use "-" to upload stdin).`, 'local_file');
  // Before hashing a large file, make sure the node would take it at all (token, size), so a wrong token fails now
  // rather than after minutes of hashing and uploading.
  if (stat.size > PREFLIGHT_MIN_BYTES) {
    const probe = await probeWrite(rt, name, stat.size);
    if (probe.kind === 'refused') throw probe.error;
  }
  const meter = await progressMeter(wantsProgress(rt, stat.size), 'hash', stat.size, rt.io.stderr);
  const { sha256, size } = await hashFile(file, meter, rt.io.stop).catch((err: unknown) => {
    throw rt.io.stop.aborted ? interrupted() : localFileError(err, file, 'read');
  });
  // Never more than was hashed and announced, even if the file grows meanwhile (then the digest check catches it).
  return { open: () => (size === 0 ? Readable.from([]) : createReadStream(file, { end: size - 1 })), size, sha256 };
}

/**
 * A node that refuses early (bad token, too large) may close the socket while the body is still going out, and fetch
 * then reports only the broken pipe: ask the node again, without a body, what it objects to.
 */
async function explainUploadFailure(rt: Runtime, name: string, size: number | undefined, err: unknown): Promise<unknown> {
  const probe = await probeWrite(rt, name, size);
  if (probe.kind === 'refused') return probe.error;
  if (probe.kind === 'unknown') return err;
  return new CliError(
    EXIT.server,
    `The upload of "${name}" to ${rt.cfg.server} broke off (${networkReason(err)}) and the node did not confirm ` +
      `the write; "kubecdn stat ${name}" shows what it holds.`,
    'transfer_failed',
    { cause: err },
  );
}
