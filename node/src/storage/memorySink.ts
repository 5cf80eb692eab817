// A Sink (pump.ts) that collects a whole blob into one Buffer of its committed size: the hot cache's large tier loads
// a blob the way a download reads it (size checked at open, every byte hashed, off the event loop for big blobs), so
// what enters memory was verified exactly like what leaves for a client.
import type { Sink } from './pump.js';

export class MemorySink implements Sink {
  private readonly buf: Buffer;
  private at = 0;
  private ended = false;

  constructor(readonly size: number) {
    this.buf = Buffer.allocUnsafe(size); // every byte is written before buffer() hands it out
  }

  /** Copies the chunk: the pump's buffers go back to its pool once this returns. */
  write(chunk: Buffer, cb: (err?: Error | null) => void): boolean {
    if (this.at + chunk.length > this.size) {
      cb(new Error(`more than the ${this.size} bytes expected`));
      return true;
    }
    chunk.copy(this.buf, this.at);
    this.at += chunk.length;
    cb();
    return true; // never full: no 'drain' to wait for
  }

  end(): void {
    this.ended = true;
  }

  // never closes early, never fills: the pump's listeners are never called
  once(): this {
    return this;
  }

  off(): this {
    return this;
  }

  /** The whole blob, once the pump ended the sink (which it does only after the digest matched). */
  buffer(): Buffer {
    if (!this.ended || this.at !== this.size) throw new Error(`blob incomplete: ${this.at} of ${this.size} bytes`);
    return this.buf;
  }
}
