// One download, shared by get and get -r: the body hashed on the way, checked against the ETag and Content-Length,
// and (to a file) written beside the target and renamed only once it matched.
import fs from 'node:fs/promises';
import { Readable, type Transform, type Writable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { CliError, EXIT, interrupted, networkReason } from './errors.js';
import { localFileError, type Runtime } from './runtime.js';
import { digestFromEtag, HashCounter, outputPlanFor } from './transfer.js';

/** One download in flight: the body, the digest and length it must match, and the stages it passes through. */
export interface Download {
  readonly name: string;
  readonly body: Readable;
  readonly expected: string;
  readonly length: number;
  readonly hasher: HashCounter;
  readonly meter: Transform;
}

/** The download of a successful GET answer; refuses one without a SHA-256 ETag (nothing to verify against). */
export function openDownload(name: string, res: Response, meter: Transform): Download {
  const expected = digestFromEtag(res.headers.get('etag'));
  if (expected === undefined) {
    throw new CliError(EXIT.server, `The server sent no SHA-256 ETag for "${name}": the bytes cannot be verified.`);
  }
  return {
    name,
    body: res.body === null ? Readable.from([]) : Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
    expected,
    length: Number(res.headers.get('content-length') ?? NaN),
    hasher: new HashCounter(),
    meter,
  };
}

/** Writes beside the target and renames only once the digest matched; any failure removes the partial file. */
export async function receiveToFile(rt: Runtime, dl: Download, output: string): Promise<void> {
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

/** To stdout: bytes already written there cannot be taken back, so a mismatch is reported after the fact. */
export async function receiveToStdout(rt: Runtime, dl: Download): Promise<void> {
  await receive(rt, dl, rt.io.stdout, 'stdout');
  check(dl, 'stdout (the bytes already written there are not trustworthy)');
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
