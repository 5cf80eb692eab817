// The scrub over a real BlobStore: every blob verified, the rotten ones (same size, other bytes) and only those sent
// to be quarantined, SCRUB_AT_ONCE at a time at most; and reads that leave access times alone (storage/openRead.ts:
// on this relatime ext4 a first read of a new file writes its inode back).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../node/src/log.js';
import { createMetrics } from '../../node/src/metrics.js';
import { BlobStore } from '../../node/src/storage/blobStore.js';
import type { Integrity } from '../../node/src/storage/integrity.js';
import { Scrubber, SCRUB_AT_ONCE } from '../../node/src/storage/scrub.js';
import type { IntegrityError } from '../../node/src/storage/verify.js';

let dir: string;
let store: BlobStore;
const shas: string[] = [];
const BLOBS = 60;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kubecdn-scrub-'));
  store = new BlobStore(dir);
  await store.init();
  for (let i = 0; i < BLOBS; i++) {
    shas.push((await store.ingest(Readable.from([Buffer.from(`blob ${i} `.repeat(20 + i))]), { maxBytes: 1 << 20 })).sha256);
  }
});
afterAll(async () => fs.rm(dir, { recursive: true, force: true }));

/** Sets atime well before mtime: a relatime mount updates atime on the next read of such a file. */
async function ageAtime(sha256: string): Promise<number> {
  const st = await fs.stat(store.pathOf(sha256));
  const atime = new Date(st.mtimeMs - 3_600_000);
  await fs.utimes(store.pathOf(sha256), atime, st.mtime);
  return (await fs.stat(store.pathOf(sha256))).atimeMs;
}

describe('reads leave access times alone', () => {
  it('a verification and a served read do not update atime, where a plain read does', async () => {
    const [a, b, c] = shas as [string, string, string];
    const before = [await ageAtime(a), await ageAtime(b), await ageAtime(c)];
    expect(await store.verifyFile(a)).toBeUndefined();
    const open = await store.openChecked(b, (await fs.stat(store.pathOf(b))).size);
    await open.close();
    await fs.readFile(store.pathOf(c)); // the control: this mount does update atimes on read
    const after = await Promise.all([a, b, c].map(async (s) => (await fs.stat(store.pathOf(s))).atimeMs));
    expect(after[0]).toBe(before[0]);
    expect(after[1]).toBe(before[1]);
    expect(after[2]).toBeGreaterThan(before[2]!);
  });
});

describe('a scrub pass', () => {
  it('verifies every blob, at most SCRUB_AT_ONCE at a time, and sends exactly the rotten ones to be healed', async () => {
    // a new process' store over the same files: nothing in its memo of verified copies (uploads put theirs there)
    const fresh = new BlobStore(dir);
    await fresh.init();
    const rotten = [shas[5]!, shas[17]!, shas[42]!];
    for (const sha of rotten) {
      const p = fresh.pathOf(sha);
      const bytes = await fs.readFile(p);
      bytes[0] = bytes[0]! ^ 0xff; // same size, other bytes: only hashing finds it
      await fs.writeFile(p, bytes);
    }
    const healed: string[] = [];
    const integrity = { corruptAndHeal: (err: IntegrityError) => Promise.resolve(void healed.push(err.sha256)) } as unknown as Integrity;
    let inFlight = 0;
    let most = 0;
    const verify = fresh.verifyFile.bind(fresh);
    fresh.verifyFile = async (sha256, pace, opts) => {
      most = Math.max(most, ++inFlight);
      try {
        return await verify(sha256, pace, opts);
      } finally {
        inFlight--;
      }
    };
    try {
      const scrub = new Scrubber(fresh, integrity, createMetrics('scrub-test'), createLogger('silent', 'scrub-test'), { bytesPerSec: 1 << 30, intervalMs: 60_000 });
      const r = await scrub.pass();
      expect(r.blobs).toBe(BLOBS);
      expect(r.corrupt).toBe(3);
      expect(healed.sort()).toEqual([...rotten].sort());
      expect(most).toBeGreaterThan(1);
      expect(most).toBeLessThanOrEqual(SCRUB_AT_ONCE);
      expect(inFlight).toBe(0);
      // the scrub's visits leave the memo of verified copies to the blobs in use
      const sound = shas.find((s) => !rotten.includes(s))!;
      expect(fresh.verifiedSince(sound, await fs.stat(fresh.pathOf(sound)))).toBe(false);
    } finally {
      fresh.verifyFile = verify;
    }
  });
});
