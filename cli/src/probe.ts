// Asks the node whether it would accept a write of NAME, without sending the body: a PUT with the real
// Content-Length and an If-Match no content can satisfy. The node checks the token, the size and the precondition
// before it reads a body, so it answers 401/403/413 when it objects and 412 when it would take the write; nothing
// is ever stored. One byte is sent because fetch only reads the answer once the body has started.
import { readFailure } from './client.js';
import { fromApiFailure, type CliError } from './errors.js';
import { filePath } from './names.js';
import type { Runtime } from './runtime.js';

/** Uploads larger than this are probed before hashing; smaller ones just go. */
export const PREFLIGHT_MIN_BYTES = 1024 * 1024;
const PROBE_TIMEOUT_MS = 5000;
const NO_SUCH_ETAG = `"${'0'.repeat(64)}"`;

export type ProbeResult =
  | { readonly kind: 'refused'; readonly error: CliError }
  | { readonly kind: 'accepting' }
  /** no answer in time, or an answer this probe cannot interpret */
  | { readonly kind: 'unknown' };

export async function probeWrite(rt: Runtime, name: string, size: number | undefined): Promise<ProbeResult> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), PROBE_TIMEOUT_MS);
  const body = new ReadableStream<Uint8Array>({
    start: (c) => c.enqueue(new Uint8Array(1)),
    pull: () => new Promise<void>(() => undefined), // the rest never comes: the probe is aborted after the answer
  });
  try {
    const res = await rt.client.fetchRaw(filePath(name), {
      method: 'PUT',
      headers: { 'Content-Length': String(Math.max(size ?? 1, 1)), 'If-Match': NO_SUCH_ETAG },
      body,
      signal: ac.signal,
    });
    if (res.status === 412) return { kind: 'accepting' };
    if (res.ok) return { kind: 'unknown' };
    return { kind: 'refused', error: fromApiFailure(await readFailure(res), { server: rt.cfg.server, name }) };
  } catch (err) {
    if (ac.signal.aborted) return { kind: 'unknown' };
    return { kind: 'refused', error: err as CliError }; // fetchRaw throws only CliErrors (unreachable) when not aborted
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}
