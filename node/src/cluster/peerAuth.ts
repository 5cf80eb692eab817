// Signed peer requests (pure: no I/O, the clock is an argument). Why: today every peer request carries the cluster
// secret itself, to whatever URL a member wrote into Redis, so anyone able to write a member URL there collects the
// secret. Here the secret never travels: a request carries an HMAC bound to its method, its raw path+query (exactly
// as sent on the wire), a time and the sender's id. A rogue member URL learns only headers, and a captured header is
// good for that one method+path within the skew window (default 30 s), on any member.
//
// Not covered: the body (a PUT's body is bound by the digest in its path, which the receiver verifies; a POST's JSON
// is not), the receiving member, and which member signed (every holder of the secret can claim any id: `id` says who
// the sender says it is, useful for logs, not proof).
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export const AUTH_HEADER = 'x-cluster-auth';
export const DEFAULT_MAX_SKEW_MS = 30_000;

export type PeerAuthFailure = 'no_secret' | 'missing' | 'malformed' | 'skew' | 'bad_signature';
export type PeerAuthResult = { ok: true; id: string } | { ok: false; reason: PeerAuthFailure };

const VERSION = 'v1';
// Node ids as config.ts allows them: no spaces or newlines, so neither the header nor the signed text is ambiguous.
const ID_RE = /^[A-Za-z0-9._-]{1,63}$/;
// `v1 id=<id> t=<unix ms> sig=<64 hex>`; 15 digits keep t a safe integer (up to the year 33658).
const HEADER_RE = /^v1 id=([A-Za-z0-9._-]{1,63}) t=(\d{1,15}) sig=([0-9a-f]{64})$/;
const MAX_HEADER_CHARS = 200;

/** The MAC key, derived from the secret (HKDF-SHA256 with a fixed label), so the raw secret is never used as is. */
function macKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'kubecdn', 'kubecdn peer request auth v1', 32));
}

function mac(secret: string, method: string, path: string, t: number, id: string): Buffer {
  const text = `${VERSION}\n${method.toUpperCase()}\n${path}\n${t}\n${id}`;
  return createHmac('sha256', macKey(secret)).update(text).digest();
}

/**
 * The X-Cluster-Auth value for one request. `path` is the raw path and query as sent (e.g. `/internal/blobs/ab…`).
 * Throws only on a caller's mistake (no secret, an id config.ts would refuse, a time that is not whole ms).
 */
export function signPeerRequest(secret: string, method: string, path: string, nowMs: number, nodeId: string): string {
  if (secret === '') throw new RangeError('peer auth needs a cluster secret');
  if (!ID_RE.test(nodeId)) throw new RangeError(`node id ${JSON.stringify(nodeId)} cannot be signed`);
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) throw new RangeError(`time ${nowMs} is not whole unix ms`);
  return `${VERSION} id=${nodeId} t=${nowMs} sig=${mac(secret, method, path, nowMs, nodeId).toString('hex')}`;
}

/**
 * Checks a received X-Cluster-Auth value against the request's method and raw path+query (req.method, req.url).
 * Never throws: anything from the wire that does not verify is `{ ok: false, reason }`. A repeated header (an array)
 * is refused as malformed. A skew limit that is not a number refuses everything (fail closed).
 */
// Six parameters, not an options object: the same order as signPeerRequest, each straight from the request.
// eslint-disable-next-line max-params
export function verifyPeerRequest(
  secret: string,
  headerValue: string | string[] | undefined,
  method: string,
  path: string,
  nowMs: number,
  maxSkewMs = DEFAULT_MAX_SKEW_MS,
): PeerAuthResult {
  if (secret === '') return { ok: false, reason: 'no_secret' };
  if (headerValue === undefined || headerValue === '') return { ok: false, reason: 'missing' };
  if (typeof headerValue !== 'string' || headerValue.length > MAX_HEADER_CHARS) return { ok: false, reason: 'malformed' };
  const m = HEADER_RE.exec(headerValue);
  if (!m) return { ok: false, reason: 'malformed' };
  const id = m[1]!;
  const t = Number(m[2]);
  const sigHex = m[3]!;
  if (!(Math.abs(nowMs - t) <= maxSkewMs)) return { ok: false, reason: 'skew' };
  // Both sides are 32 bytes (the regex fixed the hex length), as timingSafeEqual requires.
  if (!timingSafeEqual(Buffer.from(sigHex, 'hex'), mac(secret, method, path, t, id))) return { ok: false, reason: 'bad_signature' };
  return { ok: true, id };
}
