// An upload's bytes into its temporary file (node/src/storage/batchedWrite.ts), on a real file: chunks written at
// once or gathered behind the write under way, one write in flight at most, backpressure on a full batch, writes
// that come back short, and a failing write.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchedWrite } from '../../node/src/storage/batchedWrite.js';
import { tempDir } from '../helpers/nodeProcess.js';

const KiB = 1024;

/** The real handle, with its writev calls watched (and, with `cap`, cut short to at most `cap` bytes each). */
function watched(fh: fs.FileHandle, cap?: number): { fh: fs.FileHandle; calls: number[]; maxInFlight: () => number } {
  const calls: number[] = [];
  let inFlight = 0;
  let max = 0;
  const writev = async (buffers: Buffer[]): Promise<{ bytesWritten: number; buffers: Buffer[] }> => {
    inFlight += 1;
    max = Math.max(max, inFlight);
    try {
      const all = Buffer.concat(buffers);
      const part = cap === undefined ? all : all.subarray(0, cap);
      calls.push(part.length);
      const { bytesWritten } = await fh.write(part, 0, part.length, null);
      return { bytesWritten, buffers };
    } finally {
      inFlight -= 1;
    }
  };
  return { fh: Object.assign(Object.create(fh) as fs.FileHandle, { writev }), calls, maxInFlight: () => max };
}

async function withFile(fn: (fh: fs.FileHandle, file: string) => Promise<void>): Promise<Buffer> {
  const file = path.join(await tempDir(), 'upload');
  const fh = await fs.open(file, 'wx');
  try {
    await fn(fh, file);
  } finally {
    await fh.close();
  }
  return fs.readFile(file);
}

describe('BatchedWrite', () => {
  it('writes every chunk in order: the first at once, the ones that arrive meanwhile gathered into one writev, one write in flight at most', async () => {
    const chunks = Array.from({ length: 80 }, () => randomBytes(64 * KiB)); // 5 MiB
    let w: ReturnType<typeof watched> | undefined;
    const bytes = await withFile(async (fh) => {
      w = watched(fh);
      const out = new BatchedWrite(w.fh, 1024 * KiB);
      for (const c of chunks) await out.add(c);
      await out.finish();
    });
    expect(bytes.equals(Buffer.concat(chunks))).toBe(true);
    expect(w?.calls[0]).toBe(64 * KiB); // nothing was under way: written at once
    expect(w?.calls.length).toBeLessThan(chunks.length / 4); // the rest gathered while writes ran
    expect(w?.calls.every((n) => n <= 1024 * KiB + 64 * KiB)).toBe(true); // about a batch each
    expect(w?.maxInFlight()).toBe(1);
  });

  it('a small upload is one write, started by its one chunk', async () => {
    const body = randomBytes(KiB);
    let w: ReturnType<typeof watched> | undefined;
    const bytes = await withFile(async (fh) => {
      w = watched(fh);
      const out = new BatchedWrite(w.fh, 1024 * KiB);
      await out.add(body);
      expect(w.calls).toEqual([KiB]);
      await out.finish();
    });
    expect(bytes.equals(body)).toBe(true);
    expect(w?.calls).toEqual([KiB]);
  });

  it('the reader waits while a full batch gathers behind a slow write: by bytes, and by count of tiny chunks', async () => {
    for (const [batchBytes, chunk, expectAfter] of [
      [8 * KiB, KiB, 8], // the write of the first chunk, then 8 more of 1 KiB fill the batch
      [1024 * KiB, 1, 1024], // 1-byte chunks: the batch is full at 1,024 of them
    ] as const) {
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      let written = 0;
      const slow = {
        writev: async (b: Buffer[]) => {
          await gate;
          const bytesWritten = b.reduce((n, x) => n + x.length, 0);
          written += bytesWritten;
          return { bytesWritten, buffers: b };
        },
      };
      const out = new BatchedWrite(slow as unknown as fs.FileHandle, batchBytes);
      await out.add(Buffer.alloc(chunk)); // under way, held at the gate
      for (let i = 1; i < expectAfter; i++) await out.add(Buffer.alloc(chunk)); // gathered: each resolves at once
      let waited = true;
      const full = out.add(Buffer.alloc(chunk)).then(() => (waited = false));
      await new Promise((r) => setImmediate(r));
      expect(waited).toBe(true);
      open();
      await full;
      await out.finish();
      expect(written).toBe((expectAfter + 1) * chunk);
    }
  });

  it('an empty body (one empty chunk) writes nothing and is not an error; empty chunks between others are skipped', async () => {
    let w: ReturnType<typeof watched> | undefined;
    const empty = await withFile(async (fh) => {
      w = watched(fh);
      const out = new BatchedWrite(w.fh, 1024 * KiB);
      await out.add(Buffer.alloc(0));
      await out.finish();
    });
    expect(empty.length).toBe(0);
    expect(w?.calls).toEqual([]);
    const parts = [randomBytes(10), Buffer.alloc(0), randomBytes(5)];
    const bytes = await withFile(async (fh) => {
      const out = new BatchedWrite(fh, 1024 * KiB);
      for (const p of parts) await out.add(p);
      await out.finish();
    });
    expect(bytes.equals(Buffer.concat(parts))).toBe(true);
  });

  it('writes the rest of a batch that a write took only part of', async () => {
    const chunks = Array.from({ length: 10 }, (_, i) => randomBytes(3000 + i));
    let w: ReturnType<typeof watched> | undefined;
    const bytes = await withFile(async (fh) => {
      w = watched(fh, 1000); // every writev takes at most 1000 bytes
      const out = new BatchedWrite(w.fh, 8 * KiB);
      for (const c of chunks) await out.add(c);
      await out.finish();
    });
    expect(bytes.equals(Buffer.concat(chunks))).toBe(true);
    expect(w?.calls.every((n) => n <= 1000)).toBe(true);
    expect(w?.calls.length).toBeGreaterThan(30);
  });

  it('a failing write rejects the next add or finish with its error, and settled() waits for it quietly', async () => {
    const broken = { writev: () => Promise.reject(Object.assign(new Error('no space left'), { code: 'ENOSPC', syscall: 'writev' })) };
    const out = new BatchedWrite(broken as unknown as fs.FileHandle, 4);
    await out.add(Buffer.alloc(4)); // nothing under way: its write starts, and fails meanwhile
    await out.settled();
    await expect(out.add(Buffer.alloc(4))).rejects.toMatchObject({ code: 'ENOSPC' });
    const again = new BatchedWrite(broken as unknown as fs.FileHandle, 1024);
    await again.add(Buffer.alloc(4));
    await expect(again.finish()).rejects.toMatchObject({ code: 'ENOSPC' });
  });

  it('a write that makes no progress is an error, not a loop', async () => {
    const stuck = { writev: (b: Buffer[]) => Promise.resolve({ bytesWritten: 0, buffers: b }) };
    const out = new BatchedWrite(stuck as unknown as fs.FileHandle, 1024);
    await out.add(Buffer.alloc(10));
    await expect(out.finish()).rejects.toMatchObject({ message: 'writev wrote nothing', code: 'EIO', syscall: 'writev' });
  });
});
