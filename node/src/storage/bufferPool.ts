// Read buffers that are used again instead of dropped. A 16 MiB download through fs.createReadStream allocates 64
// fresh 256 KiB Buffers; their external memory made V8 run about one major GC per download, and each of those grew
// with the heap over the process's life (issue 17: 60 req/s on a fresh node, 13 req/s after 2,500 small PUTs, ~30%
// of the time in major GC). A buffer goes back to the pool only from its write's callback, i.e. once the socket is
// done with it; a buffer whose write never calls back is simply left to the GC.

export class BufferPool {
  private readonly idle: Buffer[] = [];
  /** buffers made since start (the pool's own count: a rising figure means it is too small for the load) */
  made = 0;

  /**
   * @param size bytes per buffer
   * @param maxIdle buffers kept between uses: the pool's memory bound (buffers in use are bounded by their callers)
   */
  constructor(
    readonly size: number,
    private readonly maxIdle: number,
  ) {}

  take(): Buffer {
    const b = this.idle.pop();
    if (b) return b;
    this.made++;
    // Its own memory (not a slice of Node's shared 8 KiB pool, so reusing it can touch nothing else), and shared: the
    // hash thread (offThreadHash.ts) reads a chunk where it is while the socket sends it.
    return Buffer.from(new SharedArrayBuffer(this.size));
  }

  give(b: Buffer): void {
    if (b.length === this.size && this.idle.length < this.maxIdle) this.idle.push(b);
  }

  get idleCount(): number {
    return this.idle.length;
  }
}
