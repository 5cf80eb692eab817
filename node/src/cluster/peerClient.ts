// HTTP to peers: every request is signed with the cluster secret (peerAuth.ts); a peer that does not answer with headers within
// PEER_TIMEOUT_MS is treated as failed (the body may then take as long as it needs). Blob pushes are the exception:
// their answer comes only after the whole body is stored, so they are timed on progress instead (pushAnswerMs).
import http, { type IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { openRead } from '../storage/openRead.js';
import { verifying } from '../storage/verify.js';
import { INVENTORY_PATH, inventoryAnswer, type InventoryAnswer, type InventoryEntry } from './inventory.js';
import type { Membership } from './membership.js';
import { AUTH_HEADER, signPeerRequest } from './peerAuth.js';

// The peer answers a push after fsyncing it; that silence is allowed to grow with the size, at an assumed floor of
// this many bytes per millisecond (16 MB/s: a slow disk) on top of PEER_TIMEOUT_MS.
const FSYNC_FLOOR_BYTES_PER_MS = 16_000;
const PUSH_CHUNK_BYTES = 1024 * 1024;

/** Pure: how long to wait for a push's answer once its body is sent (while sending, PEER_TIMEOUT_MS of silence). */
export function pushAnswerMs(size: number, timeoutMs: number): number {
  return timeoutMs + Math.ceil(size / FSYNC_FLOOR_BYTES_PER_MS);
}

export const SECRET_HEADER = 'x-cluster-secret';
/** The size the asking node has on record: a peer whose copy differs refuses it (404) and quarantines it. */
export const EXPECTED_SIZE_HEADER = 'x-expected-size';

export class PeerClient {
  constructor(
    private readonly membership: Membership,
    private readonly secret: string,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Signed, not the secret itself: a member URL in Redis is not proof of membership (anyone who can write to Redis
   * can add one), so what we send it must not reveal the secret (peerAuth.ts).
   */
  private auth(method: string, path: string): Record<string, string> {
    return { [AUTH_HEADER]: signPeerRequest(this.secret, method, path, Date.now(), this.membership.self.id) };
  }

  private async request(id: string, path: string, init: RequestInit = {}, timeoutMs = this.timeoutMs): Promise<Response> {
    const base = this.membership.url(id);
    if (!base) throw new Error(`peer ${id} is not a member`);
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(new Error(`peer ${id} did not answer in ${timeoutMs} ms`)), timeoutMs);
    try {
      return await fetch(`${base}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string> | undefined), ...this.auth(init.method ?? 'GET', path) },
        signal: ctrl.signal,
      });
    } finally {
      clearTimeout(timer); // headers arrived (or failed): the body is not under the timeout
    }
  }

  /**
   * Streams a local file to a peer's blob store. node:http rather than fetch: fetch read a 1 GiB file far ahead of
   * a slower peer (the uploader's RSS reached 500 MB) and timed the whole transfer with the header timeout.
   */
  async pushBlob(id: string, sha256: string, file: string): Promise<void> {
    const base = this.membership.url(id);
    if (!base) throw new Error(`peer ${id} is not a member`);
    // the file's own descriptor, not atime-touching (storage/openRead.ts), closed by the stream when done or destroyed
    const fh = await openRead(file);
    const source = fh.createReadStream({ highWaterMark: PUSH_CHUNK_BYTES });
    let size: number;
    try {
      size = (await fh.stat()).size;
    } catch (err) {
      source.destroy();
      throw err;
    }
    const req = http.request(new URL(`/internal/blobs/${sha256}`, base), {
      method: 'PUT',
      headers: { ...this.auth('PUT', `/internal/blobs/${sha256}`), 'content-type': 'application/octet-stream', 'content-length': size },
    });
    const answered = new Promise<number>((resolve, reject) => {
      req.once('response', (res) => {
        res.resume(); // nothing to read but the status
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      });
      req.once('error', reject);
    });
    answered.catch(() => undefined); // observed below; a failed send must not leave it unhandled
    let timeout = this.timeoutMs;
    // The socket's idle timer: any byte moving either way resets it.
    req.setTimeout(timeout, () => req.destroy(new Error(`peer ${id} made no progress for ${timeout} ms`)));
    // Verified on the way out (the last chunk held back): a rotten local copy never reaches a peer complete, and the
    // IntegrityError tells the caller to quarantine it.
    await pipeline(source, verifying(sha256, size), req);
    timeout = pushAnswerMs(size, this.timeoutMs);
    req.setTimeout(timeout);
    const status = await answered;
    if (status !== 201 && status !== 200) throw new Error(`peer ${id} refused blob ${sha256}: ${status}`);
  }

  async hasBlob(id: string, sha256: string, size: number): Promise<boolean> {
    const res = await this.request(id, `/internal/blobs/${sha256}`, { method: 'HEAD', headers: { [EXPECTED_SIZE_HEADER]: String(size) } });
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw new Error(`peer ${id} answered ${res.status}`);
  }

  /**
   * Which of `blobs` the peer lacks or holds a bad copy of (one request for a batch), or 'unsupported' when it answers
   * 404: a node of an older version during a rolling update, to be asked blob by blob (hasBlob) instead.
   */
  async inventory(id: string, blobs: readonly InventoryEntry[]): Promise<InventoryAnswer | 'unsupported'> {
    const res = await this.request(id, INVENTORY_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ blobs }),
    });
    if (res.status === 404) {
      await res.body?.cancel();
      return 'unsupported';
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new Error(`peer ${id} answered ${res.status} to an inventory`);
    }
    const answer = inventoryAnswer.safeParse(await res.json());
    if (!answer.success) throw new Error(`peer ${id} sent an inventory answer that is not one`);
    return answer.data;
  }

  /**
   * The blob's bytes from a peer, or undefined when it has none. node:http with the socket's idle timer: a peer
   * that sends nothing for PEER_TIMEOUT_MS — before the headers or mid-body — fails the transfer, so the caller
   * fails over to the next home instead of hanging. `size`, when known, lets the peer refuse a copy of the wrong size.
   */
  async fetchBlob(id: string, sha256: string, size?: number): Promise<IncomingMessage | undefined> {
    const base = this.membership.url(id);
    if (!base) throw new Error(`peer ${id} is not a member`);
    const headers: Record<string, string> = this.auth('GET', `/internal/blobs/${sha256}`);
    if (size !== undefined) headers[EXPECTED_SIZE_HEADER] = String(size);
    const req = http.get(new URL(`/internal/blobs/${sha256}`, base), { headers });
    req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`peer ${id} made no progress for ${this.timeoutMs} ms`)));
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    });
    if (res.statusCode === 200) return res;
    res.resume();
    if (res.statusCode === 404) return undefined;
    throw new Error(`peer ${id} answered ${res.statusCode}`);
  }

  /** A Ricart-Agrawala REQUEST or REPLY (delivery is acknowledged with 204; the REPLY itself is a message). */
  async raMessage(id: string, type: 'request' | 'reply', body: { name: string; ts: number; from: string; re?: number }): Promise<void> {
    const res = await this.request(id, `/internal/ra/${type}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.body?.cancel();
    if (res.status !== 204) throw new Error(`peer ${id} answered ${res.status}`);
  }

  async invalidate(id: string, names: string[], timeoutMs: number): Promise<void> {
    const res = await this.request(
      id,
      '/internal/invalidate',
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ names }) },
      timeoutMs,
    );
    await res.body?.cancel();
    if (res.status !== 204) throw new Error(`peer ${id} answered ${res.status}`);
  }
}
