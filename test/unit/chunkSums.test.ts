// The CRC-32 sums that let a blob read whole once be checked, not hashed, on later reads (storage/chunkSums.ts):
// pieces fed in any split give the sums of each MiB; a check against them refuses a changed MiB as soon as that MiB
// is complete, bytes past the size at once, a short object at the end.
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ChunkCrc, firstDifference, SUM_CHUNK, sumCount, SumsTaker } from '../../node/src/storage/chunkCrc.js';
import { SumsMemo, sumsCheck } from '../../node/src/storage/chunkSums.js';
import { IntegrityError } from '../../node/src/storage/verify.js';

const size = 3 * SUM_CHUNK + 12_345;
const body = randomBytes(size);
/** the sums, each MiB hashed on its own */
const direct = Array.from({ length: sumCount(size) }, (_, i) => crc32(body.subarray(i * SUM_CHUNK, (i + 1) * SUM_CHUNK)) >>> 0);

/** `buf` cut into pieces of the given lengths, cycled */
function pieces(buf: Buffer, lengths: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, k = 0; at < buf.length; k++) {
    const n = lengths[k % lengths.length]!;
    out.push(buf.subarray(at, at + n));
    at += n;
  }
  return out;
}

const splits: number[][] = [[size], [SUM_CHUNK], [256 * 1024], [65_536 + 7, 1, 300_001], [SUM_CHUNK - 1, 2]];

describe('ChunkCrc and SumsTaker', () => {
  it.each(splits)('the same sums whatever the read sizes (%s, ...)', (...lengths) => {
    const got: number[] = [];
    const c = new ChunkCrc((i, crc) => {
      got[i] = crc >>> 0;
      return true;
    });
    for (const p of pieces(body, lengths)) expect(c.add(p)).toBe(true);
    expect(c.end()).toBe(true);
    expect(got).toEqual(direct);

    const rec = new SumsTaker(size);
    for (const p of pieces(body, lengths)) rec.add(p);
    expect(Array.from(rec.done() ?? [])).toEqual(direct);
  });

  it('the recorder keeps no sums for fewer or more bytes than the size', () => {
    const short = new SumsTaker(size);
    short.add(body.subarray(0, size - 1));
    expect(short.done()).toBeUndefined();
    const long = new SumsTaker(size - 1);
    long.add(body);
    expect(long.done()).toBeUndefined();
  });
});

describe('sumsCheck', () => {
  const sums = Uint32Array.from(direct);
  /** feeds `data` in 256 KiB reads; the index of the read refused (or -1), and finish's answer */
  async function run(data: Buffer, n = size): Promise<{ refusedAt: number; err: IntegrityError | undefined; hashed: number }> {
    const check = sumsCheck('ab', n, sums);
    let hashed = 0;
    const reads = pieces(data, [256 * 1024]);
    for (const [i, p] of reads.entries()) {
      const bad = check.add(p, p.length, () => hashed++);
      if (bad) return { refusedAt: i, err: bad, hashed };
    }
    return { refusedAt: -1, err: await check.finish(), hashed };
  }

  it('the sound bytes pass, every read acknowledged', async () => {
    expect(await run(body)).toEqual({ refusedAt: -1, err: undefined, hashed: 13 });
  });

  it('a changed byte is refused by the read that completes its MiB, before anything after it', async () => {
    const spoilt = Buffer.from(body);
    spoilt[SUM_CHUNK + 5]! ^= 0x10; // second MiB: complete at the 8th 256 KiB read (index 7)
    const r = await run(spoilt);
    expect([r.refusedAt, r.err?.reason, r.hashed]).toEqual([7, 'digest', 7]);
    expect(r.err?.message).toMatch(/bytes 1048576-2097151 differ/);
  });

  it('a changed byte in the last, shorter piece is refused at the end', async () => {
    const spoilt = Buffer.from(body);
    spoilt[size - 1]! ^= 1;
    const r = await run(spoilt);
    expect([r.refusedAt, r.err?.reason]).toEqual([-1, 'digest']);
  });

  it('bytes past the size are refused at once, a short object at the end', async () => {
    const long = await run(Buffer.concat([body, Buffer.from('EXTRA')]));
    expect([long.refusedAt, long.err?.reason]).toEqual([12, 'size']);
    const short = await run(body.subarray(0, size - 5));
    expect([short.refusedAt, short.err?.reason]).toEqual([-1, 'size']);
  });
});

describe('firstDifference', () => {
  it('the first sum that differs, a missing or extra one counting, or -1', () => {
    const a = Uint32Array.of(1, 2, 3);
    expect([firstDifference(a, Uint32Array.of(1, 2, 3)), firstDifference(a, Uint32Array.of(1, 9, 3)), firstDifference(a, Uint32Array.of(1, 2)), firstDifference(Uint32Array.of(), Uint32Array.of(5))]).toEqual([-1, 1, 2, 0]);
  });
});

describe('SumsMemo', () => {
  it('gives sums only for the size they were taken for, and stays within its bytes', () => {
    const memo = new SumsMemo(10 * (4 * 16 + 64));
    for (let i = 0; i < 20; i++) memo.set(`d${i}`, new Uint32Array(16));
    expect(memo.size).toBe(10);
    expect(memo.get('d19', 16 * SUM_CHUNK)).toHaveLength(16);
    expect(memo.get('d19', 17 * SUM_CHUNK)).toBeUndefined();
    expect(memo.get('d0', 16 * SUM_CHUNK)).toBeUndefined();
  });
});
