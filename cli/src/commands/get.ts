// kubecdn get NAME [--version N] [-o FILE|-]: streams the bytes to a file or stdout, hashing them on the way, and
// refuses to keep anything whose SHA-256 differs from the ETag the node sent.
import fs from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import { CliError, EXIT, interrupted, networkReason } from '../errors.js';
import { formatBytes } from '../format.js';
import { filePath, query } from '../names.js';
import { parseVersionArg } from '../options.js';
import type { Io } from '../output.js';
import { progressMeter } from '../progress.js';
import { examples, localFileError, runtime, wantsProgress, type Runtime } from '../runtime.js';
import { digestFromEtag, HashCounter, outputPlanFor } from '../transfer.js';

interface GetOptions {
  readonly version?: number;
  readonly output: string;
}

/** One download in flight: the body, the digest and length it must match, and the stages it passes through. */
interface Download {
  readonly name: string;
  readonly body: Readable;
  readonly expected: string;
  readonly length: number;
  readonly hasher: HashCounter;
  readonly meter: Writable & Readable;
}

export function getCommand(io: Io): Command {
  return new Command('get')
    .description('download a file (the latest version, or --version N) and verify its SHA-256')
    .argument('<name>', 'the file name, e.g. docs/readme.md')
    .option('--version <n>', 'a specific version instead of the latest', parseVersionArg)
    .option('-o, --output <file>', 'write to FILE ("-": stdout)', '-')
    .addHelpText(
      'after',
      examples([
        'kubecdn get docs/readme.md',
        'kubecdn get site/logo.png -o logo.png',
        'kubecdn get site/logo.png --version 2 -o logo-v2.png --json',
      ]),
    )
    .action(async (name: string, opts: GetOptions, cmd: Command) => runGet(runtime(cmd, io), name, opts));
}

async function runGet(rt: Runtime, name: string, opts: GetOptions): Promise<void> {
  const res = await rt.client.send(filePath(name) + query({ version: opts.version }), { ctx: { name, version: opts.version } });
  const expected = digestFromEtag(res.headers.get('etag'));
  if (expected === undefined) {
    throw new CliError(EXIT.server, `The server sent no SHA-256 ETag for "${name}": the bytes cannot be verified.`);
  }
  const length = Number(res.headers.get('content-length') ?? NaN);
  const toStdout = opts.output === '-';
  const show = wantsProgress(rt, Number.isFinite(length) ? length : undefined, toStdout);
  const dl: Download = {
    name,
    body: res.body === null ? Readable.from([]) : Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
    expected,
    length,
    hasher: new HashCounter(),
    meter: await progressMeter(show, 'get', length, rt.io.stderr),
  };
  if (toStdout) {
    await receive(rt, dl, rt.io.stdout, 'stdout');
    check(dl, 'stdout (the bytes already written there are not trustworthy)');
    return;
  }
  await receiveToFile(rt, dl, opts.output);
  const version = Number(res.headers.get('x-content-version') ?? NaN);
  const summary = { name, version, sha256: expected, size: dl.hasher.bytes, contentType: res.headers.get('content-type'), output: opts.output };
  rt.out.result(summary, () => `Wrote ${name} version ${version} (${formatBytes(dl.hasher.bytes)}, sha256 ${expected}) to ${opts.output}`);
}

/** Writes beside the target and renames only once the digest matched; any failure removes the partial file. */
async function receiveToFile(rt: Runtime, dl: Download, output: string): Promise<void> {
  const plan = await outputPlanFor(output).catch((err: unknown) => {
    throw localFileError(err, output, 'write');
  });
  const inPlace = plan.finalPath === undefined; // a device or FIFO: nothing to rename or remove
  try {
    const handle = await fs.open(plan.writePath, inPlace ? 'w' : 'wx').catch((err: unknown) => {
      throw localFileError(err, output, 'write');
    });
    await receive(rt, dl, handle.createWriteStream(), output);
    check(dl, inPlace ? output : `${output} (not written)`);
    if (plan.finalPath !== undefined) await fs.rename(plan.writePath, plan.finalPath);
  } catch (err) {
    if (!inPlace) await fs.rm(plan.writePath, { force: true });
    throw err;
  }
}

/** Runs the transfer; tells a failing output (disk full, closed pipe) apart from a connection that broke mid-body. */
async function receive(rt: Runtime, dl: Download, sink: Writable, where: string): Promise<void> {
  let sinkError: unknown;
  const onSinkError = (err: unknown): void => {
    sinkError ??= err;
  };
  sink.on('error', onSinkError);
  try {
    // stdout stays open after the download (main owns it); a file is closed by the pipeline.
    await pipeline(dl.body, dl.hasher, dl.meter, sink, { end: sink !== rt.io.stdout });
  } catch (err) {
    if (rt.io.stop.aborted) throw interrupted();
    if (sinkError !== undefined) throw localFileError(sinkError, where, 'write to');
    throw new CliError(
      EXIT.server,
      `The download of "${dl.name}" from ${rt.cfg.server} broke off (${networkReason(err)}).`,
      'transfer_failed',
      { cause: err },
    );
  } finally {
    sink.off('error', onSinkError);
  }
}

function check(dl: Download, where: string): void {
  const actual = dl.hasher.digest();
  if (Number.isFinite(dl.length) && dl.hasher.bytes !== dl.length) {
    throw new CliError(
      EXIT.integrity,
      `"${dl.name}" arrived with ${dl.hasher.bytes} bytes, but the server announced ${dl.length}; output: ${where}.`,
      'size_mismatch',
    );
  }
  if (actual !== dl.expected) {
    throw new CliError(
      EXIT.integrity,
      `CHECKSUM MISMATCH for "${dl.name}": the server's ETag says sha256 ${dl.expected}, the bytes received hash to ${actual}; output: ${where}.`,
      'checksum_mismatch',
    );
  }
}
