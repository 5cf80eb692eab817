// The client whose miss started a peer transfer is fed the bytes as they arrive, under three rules:
// - headers go out only with the first bytes from a peer, so a miss that no home can serve is still a clean 503;
// - the newest chunk is held back, and the last one is released only once the whole transfer matched its digest;
// - the transfer never waits for this client: one that falls MAX_FEED_BUFFER behind is detached and, once the blob
//   is local, continues from the verified local copy (verifying on, from where it left off).
// After a failover the new home's bytes must reproduce what the client already has (checked by hash) before the
// client is fed again; otherwise its response is cut, never finished with bytes from two different sources.
import { createHash, type Hash } from 'node:crypto';
import type { ServerResponse } from 'node:http';

// Bytes a fed client may leave unread in its socket buffer before it is detached: bounded memory per client.
export const MAX_FEED_BUFFER = 1024 * 1024;

export type FeedState = 'waiting' | 'streaming' | 'detached' | 'done' | 'cut';

export class Feed {
  state: FeedState = 'waiting';
  /** bytes written to the client */
  sent = 0;
  private held: Buffer | undefined;
  /** hash of the accepted bytes: sent + held */
  private readonly hash = createHash('sha256');
  private accepted = 0;
  /** after a failover: the new source's bytes up to `accepted`, which must hash the same */
  private recheck: Hash | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly headers: Record<string, string>,
    private readonly maxBuffer = MAX_FEED_BUFFER,
  ) {}

  private get active(): boolean {
    if (this.res.destroyed && (this.state === 'waiting' || this.state === 'streaming')) this.state = 'cut';
    return this.state === 'waiting' || this.state === 'streaming';
  }

  /** Bytes [offset, offset + chunk.length) of the current source. */
  offer(chunk: Buffer, offset: number): void {
    if (!this.active) return;
    let c = chunk;
    if (offset < this.accepted) {
      const overlap = Math.min(this.accepted - offset, c.length);
      this.recheck?.update(c.subarray(0, overlap));
      if (offset + overlap === this.accepted) this.compareRecheck();
      c = c.subarray(overlap);
      if (c.length === 0 || !this.active) return;
    }
    if (this.held) this.write(this.held);
    this.held = c;
    this.hash.update(c);
    this.accepted += c.length;
    if (this.active && this.res.writableLength > this.maxBuffer) this.detach();
  }

  /** The source failed; the next one starts again at offset 0. */
  failover(): void {
    if (this.accepted > 0 && this.active) this.recheck = createHash('sha256');
  }

  /** The whole transfer matched its digest: release the last chunk and finish. */
  verified(): void {
    if (!this.active) return;
    if (this.held) this.write(this.held);
    this.held = undefined;
    this.res.end();
    this.state = 'done';
  }

  /** The transfer failed for good: a client that has headers can only be cut. */
  failed(): void {
    if (this.state === 'streaming' || this.state === 'detached') this.cut();
  }

  /** For a detached client's continuation from the local copy: the hash of what it has (a copy). */
  sentHash(): Hash {
    return this.hash.copy();
  }

  private compareRecheck(): void {
    const same = this.recheck?.digest('hex') === this.hash.copy().digest('hex');
    this.recheck = undefined;
    if (!same) this.cut();
  }

  private write(buf: Buffer): void {
    if (this.state === 'waiting') {
      this.res.writeHead(200, this.headers);
      this.state = 'streaming';
    }
    this.res.write(buf);
    this.sent += buf.length;
  }

  /** Stops feeding; the held chunk goes out first, so `sent` bytes are exactly what `hash` covers. */
  private detach(): void {
    if (this.held) this.write(this.held);
    this.held = undefined;
    this.state = 'detached';
  }

  private cut(): void {
    this.state = 'cut';
    this.res.destroy();
  }
}
