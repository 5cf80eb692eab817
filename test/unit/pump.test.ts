// The disk-to-socket pump: pooled read buffers, reused only after the socket is done with them, and the last chunk
// of a whole object held back until the digest matched. Real files in a real BlobStore, a real HTTP server on
// loopback, real sockets: a buffer reused too early would show as wrong bytes at the client.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../node/src/log.js';
import { BIG_READ_STREAMS, BlobStore, IDLE_BIG } from '../../node/src/storage/blobStore.js';
import { HashThread, MAX_UNHASHED } from '../../node/src/storage/offThreadHash.js';
import { pumpBlob, ReceiverGone, wantNext, type OpenBlob, type PumpCheck } from '../../node/src/storage/pump.js';
import { IntegrityError } from '../../node/src/storage/verify.js';
import { waitFor } from '../helpers/redis.js';

const MiB = 1024 * 1024;
let dir: string;
let store: BlobStore;
/** the same store with large whole objects hashed on a worker thread, as the node runs it */
let threaded: BlobStore;
const hashThread = new HashThread(createLogger('silent', 'pump-test'));
let server: http.Server;
let base: string;
/** what each request (by path) sends: the open blob and the check, and where the pump's outcome goes */
const jobs = new Map<string, { open: OpenBlob; check?: PumpCheck; length: number; outcome: (err: unknown) => void }>();
let lastJob = 0;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kubecdn-pump-'));
  store = new BlobStore(dir);
  await store.init();
  hashThread.start();
  threaded = new BlobStore(dir, undefined, hashThread);
  server = http.createServer((req, res) => {
    const job = jobs.get(req.url!)!;
    jobs.delete(req.url!);
    res.writeHead(200, { 'Content-Length': String(job.length) });
    pumpBlob(job.open, res, job.check).then(
      () => job.outcome(undefined),
      (err: unknown) => {
        res.destroy();
        job.outcome(err);
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await hashThread.stop();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await fs.rm(dir, { recursive: true, force: true });
});

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
async function stored(size: number): Promise<{ body: Buffer; sha256: string }> {
  const body = randomBytes(size);
  const { sha256 } = await store.ingest(Readable.from([body]), { maxBytes: 64 * MiB });
  return { body, sha256 };
}

/** The bytes the client got, and whether the transfer completed; plus what the pump said. */
async function fetchVia(open: OpenBlob, length: number, check?: PumpCheck): Promise<{ body: Buffer; complete: boolean; err: unknown }> {
  let outcome!: (err: unknown) => void;
  const pumped = new Promise<unknown>((r) => (outcome = r));
  const url = `/${++lastJob}`;
  jobs.set(url, { open, check, length, outcome });
  const chunks: Buffer[] = [];
  let complete = false;
  await new Promise<void>((resolve) => {
    http.get(`${base}${url}`, (res) => {
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        complete = true;
        resolve();
      });
      res.on('error', () => resolve());
      res.on('aborted', () => resolve());
    }).on('error', () => resolve());
  });
  return { body: Buffer.concat(chunks), complete, err: await pumped };
}

// new buffers 4 concurrent transfers may make at most: inline, about the socket's queue each; with the hash thread,
// that plus the chunks it may lag behind (MAX_UNHASHED)
const modes: Array<[string, () => BlobStore, number]> = [
  ['hashing on the event loop', () => store, 16],
  ['hashing large objects on the hash thread', () => threaded, 16 + 4 * MAX_UNHASHED],
];
describe.each(modes)('pumpBlob, %s', (_mode, storeOf, maxMade) => {
  let store: BlobStore;
  beforeAll(() => {
    store = storeOf();
  });

  it('sends whole objects right, concurrently, reusing its buffers', async () => {
    const blobs = await Promise.all([1, 2, 3, 4].map((i) => stored(4 * MiB + i * 1000)));
    const madeBefore = store.buffersMade().big;
    for (let round = 0; round < 5; round++) {
      const got = await Promise.all(
        blobs.map(async (b) => {
          const open = await store.openChecked(b.sha256, b.body.length);
          return fetchVia(open, b.body.length, { sha256: b.sha256, size: b.body.length });
        }),
      );
      expect(got).toHaveLength(blobs.length);
      for (const [i, g] of got.entries()) expect([g.complete, sha(g.body), g.err]).toEqual([true, blobs[i]!.sha256, undefined]);
    }
    // 5 x 4 transfers of 16 chunks each: without reuse that is 320 buffers
    expect(store.buffersMade().big - madeBefore).toBeLessThan(maxMade);
  });

  it('a sink that takes its chunks late (a socket with a deep queue) still gets the right bytes', async () => {
    // Writable buffers up to 8 MiB before it asks for 'drain', and reads each chunk only on a later turn: a buffer
    // given back to the pool at write time instead of at the write's callback would be refilled before it is read.
    const b = await stored(6 * MiB + 123);
    const seen = createHash('sha256');
    let bytes = 0;
    const sink = new Writable({
      highWaterMark: 8 * MiB,
      write(chunk: Buffer, _enc, done) {
        setImmediate(() => {
          seen.update(chunk);
          bytes += chunk.length;
          done();
        });
      },
    });
    await pumpBlob(await store.openChecked(b.sha256, b.body.length), sink, { sha256: b.sha256, size: b.body.length });
    await finished(sink);
    expect([bytes, seen.digest('hex')]).toEqual([b.body.length, b.sha256]);
  });

  it('a range: exactly its bytes', async () => {
    const b = await stored(MiB);
    const open = await store.openChecked(b.sha256, MiB, 1000, 300_000);
    const g = await fetchVia(open, 300_001 - 1000);
    expect([g.complete, g.body.equals(b.body.subarray(1000, 300_001)), g.err]).toEqual([true, true, undefined]);
  });

  it('a continuation from an offset, checked with the hash of what went before', async () => {
    const b = await stored(2 * MiB);
    const offset = 700_000;
    const open = await store.openChecked(b.sha256, b.body.length, offset);
    const from = { offset, hash: createHash('sha256').update(b.body.subarray(0, offset)) };
    const g = await fetchVia(open, b.body.length - offset, { sha256: b.sha256, size: b.body.length, from });
    expect([g.complete, g.body.equals(b.body.subarray(offset)), g.err]).toEqual([true, true, undefined]);
  });

  const rot: Array<[string, (file: string, size: number) => Promise<void>, IntegrityError['reason']]> = [
    ['a flipped bit', async (f, size) => {
      const fh = await fs.open(f, 'r+');
      const one = Buffer.alloc(1);
      await fh.read(one, 0, 1, size - 10);
      one[0]! ^= 1;
      await fh.write(one, 0, 1, size - 10);
      await fh.close();
    }, 'digest'],
    ['bytes appended', (f) => fs.appendFile(f, 'EXTRA'), 'size'],
    ['a truncation', (f, size) => fs.truncate(f, size - 5), 'size'],
  ];
  it.each(rot)('%s after the open: the transfer is cut short, never complete, and onBad hears first', async (_label, spoil, reason) => {
    for (const size of [3 * MiB, 256 * 1024, 1000]) {
      const b = await stored(size);
      const open = await store.openChecked(b.sha256, size);
      await spoil(store.pathOf(b.sha256), size);
      const bad: IntegrityError[] = [];
      const g = await fetchVia(open, size, { sha256: b.sha256, size, onBad: (e) => bad.push(e) });
      expect(g.complete).toBe(false);
      expect(g.body.length).toBeLessThan(size);
      expect(g.err).toBeInstanceOf(IntegrityError);
      expect((g.err as IntegrityError).reason).toBe(reason);
      expect(bad).toEqual([g.err]);
      await fs.rm(store.pathOf(b.sha256));
    }
  });

  it.each(rot)('%s after a whole read took the sums: checked against them, cut, never complete', async (_label, spoil, reason) => {
    for (const size of [3 * MiB + 77, 256 * 1024, 1000]) {
      const b = await stored(size);
      const hashedBefore = hashThread.hashed;
      const first = await fetchVia(await store.openChecked(b.sha256, size), size, { sha256: b.sha256, size });
      expect([first.complete, sha(first.body)]).toEqual([true, b.sha256]);
      expect(store.sums.get(b.sha256, size)).toBeDefined();
      const hashedFirst = hashThread.hashed - hashedBefore;
      const open = await store.openChecked(b.sha256, size); // sizes are checked at the open: spoil after it
      await spoil(store.pathOf(b.sha256), size);
      const bad: IntegrityError[] = [];
      const g = await fetchVia(open, size, { sha256: b.sha256, size, onBad: (e) => bad.push(e) });
      expect(g.complete).toBe(false);
      expect(g.body.length).toBeLessThan(size);
      expect((g.err as IntegrityError).reason).toBe(reason);
      expect(bad).toEqual([g.err]);
      expect(hashThread.hashed - hashedBefore).toBe(hashedFirst); // the second read was not hashed
      await fs.rm(store.pathOf(b.sha256));
    }
  });

  it('a second whole read of a sound blob is checked against the sums, not hashed again', async () => {
    const b = await stored(5 * MiB + 3);
    const size = b.body.length;
    const [objects, hashed] = [hashThread.objects, hashThread.hashed];
    for (let i = 0; i < 3; i++) {
      const g = await fetchVia(await store.openChecked(b.sha256, size), size, { sha256: b.sha256, size });
      expect([g.complete, sha(g.body), g.err]).toEqual([true, b.sha256, undefined]);
    }
    // on the thread: all three go there, only the first is hashed (the others: CRC-32s)
    expect([hashThread.objects - objects, hashThread.hashed - hashed]).toEqual(store === threaded ? [3, 1] : [0, 0]);
    expect(store.sums.get(b.sha256, size)).toHaveLength(6);
  });

  it('a receiver that goes away mid-transfer ends the pump (no hang) and closes the file', async () => {
    const b = await stored(32 * MiB);
    const open = await store.openChecked(b.sha256, b.body.length);
    let outcome!: (err: unknown) => void;
    const pumped = new Promise<unknown>((r) => (outcome = r));
    jobs.set('/gone', { open, length: b.body.length, check: { sha256: b.sha256, size: b.body.length }, outcome });
    await new Promise<void>((resolve) => {
      const req = http.get(`${base}/gone`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
    });
    expect(await pumped).toBeInstanceOf(ReceiverGone);
    await expect(open.fh.stat()).rejects.toThrow(/closed/);
  });
});

describe('the hash thread', () => {
  it('hashes the large whole objects, not the small ones', async () => {
    const before = hashThread.objects;
    for (const size of [4 * MiB, 200 * 1024]) {
      const b = await stored(size);
      const g = await fetchVia(await threaded.openChecked(b.sha256, size), size, { sha256: b.sha256, size });
      expect([g.complete, sha(g.body)]).toEqual([true, b.sha256]);
    }
    expect(hashThread.objects - before).toBe(1);
  });

  it('as many concurrent transfers as get big chunks: every buffer made goes back to the pool, none is dropped', async () => {
    // Each transfer holds up to BUFFERS_PER_TRANSFER buffers (the hash may lag behind the socket). A pool that keeps
    // fewer idle drops some and makes them again on the next round, and dropped shared buffers pile up in RSS.
    const blobs = await Promise.all(Array.from({ length: BIG_READ_STREAMS }, (_, i) => stored(2 * MiB + i)));
    const objects = hashThread.objects;
    // (buffers of transfers cut by earlier tests never come back: they are left to the GC)
    const before = threaded.buffersMade();
    for (let r = 0; r < 4; r++) {
      threaded.sums.clear(); // hashed every round (sums would skip the thread): the thread lags, buffers pile up
      const got = await Promise.all(
        blobs.map(async (b) => fetchVia(await threaded.openChecked(b.sha256, b.body.length), b.body.length, { sha256: b.sha256, size: b.body.length })),
      );
      for (const [i, g] of got.entries()) expect([g.complete, sha(g.body)]).toEqual([true, blobs[i]!.sha256]);
    }
    expect(hashThread.objects - objects).toBe(4 * BIG_READ_STREAMS);
    // the last writes' callbacks may still be on their way: every buffer comes back, and all of them are kept
    const allBack = (): boolean => threaded.buffersMade().bigIdle === before.bigIdle + threaded.buffersMade().big - before.big;
    await waitFor(allBack, 5000, 'every read buffer idle in the pool');
    expect(threaded.buffersMade().big).toBeGreaterThan(before.big); // 32 transfers needed more than were idle
    expect(threaded.buffersMade().bigIdle).toBeLessThanOrEqual(IDLE_BIG);
  });

  it('stopped mid-transfer: the transfer is cut, never complete; later transfers hash on the event loop', async () => {
    const b = await stored(64 * MiB);
    const open = await threaded.openChecked(b.sha256, b.body.length);
    let outcome!: (err: unknown) => void;
    const pumped = new Promise<unknown>((r) => (outcome = r));
    jobs.set('/stopped', { open, length: b.body.length, check: { sha256: b.sha256, size: b.body.length }, outcome });
    let got = 0;
    let complete = false;
    const read = new Promise<void>((resolve) => {
      http.get(`${base}/stopped`, (res) => {
        res.on('data', (c: Buffer) => {
          if (got === 0) void hashThread.stop();
          got += c.length;
        });
        res.on('end', () => (complete = true));
        res.on('close', () => resolve());
      }).on('error', () => resolve());
    });
    await read;
    const err = await pumped;
    expect(complete).toBe(false);
    expect(got).toBeLessThan(b.body.length);
    expect((err as Error).message).toMatch(/hash thread stopped/);
    // no thread now: the same object is checked inline
    const objects = hashThread.objects;
    const g = await fetchVia(await threaded.openChecked(b.sha256, b.body.length), b.body.length, { sha256: b.sha256, size: b.body.length });
    expect([g.complete, sha(g.body), hashThread.objects]).toEqual([true, b.sha256, objects]);
    hashThread.start();
  });
});

describe('wantNext', () => {
  it('a range stops at its end; a checked whole object asks one byte past what it expects; else whole chunks', () => {
    expect(wantNext(100, 0, 49, undefined)).toBe(50);
    expect(wantNext(100, 0, 1000, undefined)).toBe(100);
    expect(wantNext(100, 950, 999, 9)).toBe(50);
    expect(wantNext(100, 0, undefined, 30)).toBe(31);
    expect(wantNext(100, 0, undefined, 0)).toBe(1);
    expect(wantNext(100, 0, undefined, 500)).toBe(100);
    expect(wantNext(100, 0, undefined, undefined)).toBe(100);
  });
});
