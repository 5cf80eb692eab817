// HTTP to peers: every request carries the cluster secret; a peer that does not answer with headers within
// PEER_TIMEOUT_MS is treated as failed (the body may then take as long as it needs).
import { createReadStream } from 'node:fs';
import type { Membership } from './membership.js';

export const SECRET_HEADER = 'x-cluster-secret';

export class PeerClient {
  constructor(
    private readonly membership: Membership,
    private readonly secret: string,
    private readonly timeoutMs: number,
  ) {}

  private async request(id: string, path: string, init: RequestInit = {}, timeoutMs = this.timeoutMs): Promise<Response> {
    const base = this.membership.url(id);
    if (!base) throw new Error(`peer ${id} is not a member`);
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(new Error(`peer ${id} did not answer in ${timeoutMs} ms`)), timeoutMs);
    try {
      return await fetch(`${base}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string> | undefined), [SECRET_HEADER]: this.secret },
        signal: ctrl.signal,
      });
    } finally {
      clearTimeout(timer); // headers arrived (or failed): the body is not under the timeout
    }
  }

  /** Streams a local file to a peer's blob store. */
  async pushBlob(id: string, sha256: string, file: string): Promise<void> {
    const res = await this.request(id, `/internal/blobs/${sha256}`, {
      method: 'PUT',
      body: createReadStream(file), // streamed: undici takes a Node Readable with duplex 'half'
      duplex: 'half',
    });
    await res.body?.cancel();
    if (res.status !== 201 && res.status !== 200) throw new Error(`peer ${id} refused blob ${sha256}: ${res.status}`);
  }

  async hasBlob(id: string, sha256: string): Promise<boolean> {
    const res = await this.request(id, `/internal/blobs/${sha256}`, { method: 'HEAD' });
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw new Error(`peer ${id} answered ${res.status}`);
  }

  /** The blob's bytes from a peer, or undefined when it has none. */
  async fetchBlob(id: string, sha256: string): Promise<ReadableStream<Uint8Array> | undefined> {
    const res = await this.request(id, `/internal/blobs/${sha256}`);
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (res.status !== 200 || !res.body) throw new Error(`peer ${id} answered ${res.status}`);
    return res.body;
  }

  /** A Ricart-Agrawala REQUEST or REPLY (delivery is acknowledged with 204; the REPLY itself is a message). */
  async raMessage(id: string, type: 'request' | 'reply', body: { name: string; ts: number; from: string }): Promise<void> {
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
