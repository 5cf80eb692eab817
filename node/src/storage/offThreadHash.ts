// SHA-256 of large whole-object reads on a worker thread. Every whole-object read is hashed (the disk is a boundary),
// and at 1.4 GB/s hashing was ~11 of the ~23 ms of CPU a 16 MiB download cost the event loop (session 7, profiled):
// the one thread that also answers every small hit. The worker reads the chunks where they are, in the read pool's
// shared memory (no copy, no transfer), and acknowledges each one, so its buffer goes back to the pool only when both
// the socket and the hash are done with it. The pump still holds the last chunk back until the digest matched.
// One thread: this is about taking the hash off the event loop, not about hashing faster than one core. A blob read
// whole before is not hashed again: the thread takes the CRC-32 of each MiB and the main thread compares them with
// the sums taken on that first read (chunkSums.ts): ~5.6 ms of the thread per 16 MiB under load (profiled) instead of ~11-12.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import { firstDifference } from './chunkCrc.js';
import { sumsDiffer } from './chunkSums.js';
import { checkDigest, DigestCheck, IntegrityError } from './verify.js';

/** main thread -> worker */
export type ToThread =
  | readonly [kind: 'open', id: number, sha256: boolean, size: number]
  | readonly [kind: 'update', id: number, memory: SharedArrayBuffer, offset: number, length: number]
  | readonly [kind: 'digest', id: number]
  | readonly [kind: 'drop', id: number];
/** worker -> main thread */
export type FromThread = readonly [kind: 'hashed', id: number] | readonly [kind: 'digest', id: number, hex: string, sums: Uint32Array];

/** Whole objects at least this large are hashed on the worker; below, a message round trip costs more than it saves. */
export const OFF_THREAD_MIN_BYTES = 1024 * 1024;

/**
 * Chunks of one transfer sent to the thread and not yet hashed, at most: the hash's own backpressure. 2, not 4: with
 * 4, 32 concurrent 16 MiB downloads ran at the same rate (51-54 req/s) but held half again as many buffers.
 */
export const MAX_UNHASHED = 2;

/** Read buffers one transfer holds at most: those the hash has not read, one in the socket, the one being read. */
export const BUFFERS_PER_TRANSFER = MAX_UNHASHED + 2;

/** One transfer's hash on the thread, as the main thread sees it. */
class Session {
  /** callbacks of chunks sent and not yet hashed, in order (the thread answers in order) */
  readonly hashed: Array<() => void> = [];
  failed: Error | undefined;
  /** the thread's answer to 'digest' */
  answer: { hex: string; sums: Uint32Array } | undefined;
  /** who waits for the next answer: for room (fewer than MAX_UNHASHED chunks out) or for the digest */
  private waiter: { resolve(): void; reject(err: Error): void } | undefined;

  wait(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve();
  }

  fail(err: Error): void {
    this.failed = err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }
}

export class HashThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly sessions = new Map<number, Session>();
  private stopped = false;
  /** whole objects handed to the thread since start */
  objects = 0;
  /** of those, the ones hashed (a first read); the others were checked against their sums */
  hashed = 0;
  /** the thread could not even start (a missing file): large reads are hashed inline from then on */
  private broken = false;

  constructor(private readonly log: Logger) {}

  /** Nothing to start ahead: the thread starts with the first large read (and again after a crash). */
  start(): void {
    this.stopped = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const w = this.worker;
    this.worker = undefined;
    this.failAll(new Error('the hash thread stopped'));
    await w?.terminate();
  }

  /**
   * A running check of one whole object on the thread; undefined once stopped (the caller checks it itself). With
   * `sums.known` (the blob was read whole before: chunkSums.ts) the thread takes the CRC-32 of each MiB and they must
   * match; else it hashes the object too, and once the digest matched, `sums.taken` gets the sums.
   */
  check(sha256: string, size: number, sums: { known?: Uint32Array | undefined; taken?: (s: Uint32Array) => void } = {}): RunningCheck | undefined {
    if (this.stopped || this.broken) return undefined;
    const w = this.thread();
    const id = this.nextId++;
    this.objects++;
    if (sums.known === undefined) this.hashed++;
    const session = new Session();
    this.sessions.set(id, session);
    const post = (m: ToThread): void => w.postMessage(m);
    post(['open', id, sums.known === undefined, size]);
    let seen = 0;
    const judge = (hex: string, got: Uint32Array): IntegrityError | undefined => {
      if (seen !== size) return new IntegrityError(sha256, 'size', `expected ${size} bytes, read ${seen}`);
      if (sums.known === undefined) {
        const bad = checkDigest(sha256, size, seen, hex);
        if (!bad) sums.taken?.(got);
        return bad;
      }
      const at = firstDifference(sums.known, got);
      return at < 0 ? undefined : sumsDiffer(sha256, size, at);
    };
    return {
      get remaining() {
        return size - seen;
      },
      room: async () => {
        while (session.hashed.length >= MAX_UNHASHED) await session.wait();
        if (session.failed) throw session.failed;
      },
      add: (buf, length, hashed) => {
        if (session.failed) throw session.failed;
        seen += length;
        if (seen > size) return new IntegrityError(sha256, 'size', `more than ${size} bytes`);
        if (!(buf.buffer instanceof SharedArrayBuffer)) throw new Error('off-thread hashing needs a shared-memory buffer');
        session.hashed.push(hashed);
        post(['update', id, buf.buffer, buf.byteOffset, length]);
        return undefined;
      },
      finish: async () => {
        post(['digest', id]);
        while (session.answer === undefined) await session.wait();
        return judge(session.answer.hex, session.answer.sums);
      },
      drop: () => {
        if (this.sessions.delete(id)) post(['drop', id]);
      },
    };
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    // the built program runs hashThread.js; the tests run the TypeScript itself (Node strips the types)
    const file = new URL(import.meta.url.endsWith('.ts') ? './hashThread.ts' : './hashThread.js', import.meta.url);
    // The thread keeps next to nothing (a Hash per transfer, a small array per message): a small heap keeps its
    // garbage from showing in the node's RSS (V8's default young generation took a 1 GiB download from 173 to 205 MB).
    const w = new Worker(file, { resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 } });
    w.unref(); // never what keeps the process alive
    let online = false;
    w.once('online', () => (online = true));
    w.on('message', (m: FromThread) => this.onMessage(m));
    // A dead thread fails the transfers it was hashing (cut, never completed unchecked); the next read starts another,
    // unless this one never started: then there is no point trying again, and reads hash on the event loop.
    const lost = (err: Error): void => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.broken ||= !online;
      this.log.error({ err: err.message, started: online }, 'hash thread died; its transfers are cut');
      this.failAll(err);
    };
    w.on('error', lost);
    w.on('exit', (code) => lost(new Error(`the hash thread exited (${code})`)));
    this.worker = w;
    return w;
  }

  private onMessage(m: FromThread): void {
    const s = this.sessions.get(m[1]);
    if (s === undefined) return; // dropped meanwhile
    if (m[0] === 'hashed') {
      s.hashed.shift()?.();
      s.wake();
      return;
    }
    this.sessions.delete(m[1]);
    s.answer = { hex: m[2], sums: m[3] };
    s.wake();
  }

  private failAll(err: Error): void {
    for (const s of this.sessions.values()) s.fail(err);
    this.sessions.clear();
  }
}

/**
 * A whole object's check as the pump runs it: sizes counted here, the hash wherever it is computed. `add` calls
 * `hashed` once the hash has read the chunk (at once on this thread; later from the worker); when it returns an
 * error it keeps nothing and never calls `hashed`: the chunk is the caller's again.
 */
export interface RunningCheck {
  readonly remaining: number;
  /** resolves when the hash can take another chunk (throws when it never will) */
  room(): Promise<void>;
  add(buf: Buffer, length: number, hashed: () => void): IntegrityError | undefined;
  finish(): Promise<IntegrityError | undefined>;
  drop(): void;
}

/** The same check on this thread (DigestCheck): small objects, continuations, no hash thread. */
export function inlineCheck(d: DigestCheck): RunningCheck {
  return {
    get remaining() {
      return d.remaining;
    },
    room: () => Promise.resolve(),
    add(buf, length, hashed) {
      const bad = d.add(buf.subarray(0, length));
      if (!bad) hashed();
      return bad;
    },
    finish: () => Promise.resolve(d.finish()),
    drop: () => undefined,
  };
}
