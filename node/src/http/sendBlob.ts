// Sending a blob's bytes (after the read path has settled status, range and headers), wherever they are: the hot
// cache, this node's disk, or a home on another node. Every path checks what it sends: memory holds only verified
// blobs; a disk copy is size-checked before the headers and digest-checked while it streams (the last chunk held
// back); a Range is served only from a copy verified whole since it last changed; a peer's bytes are verified as
// they arrive (cluster/feed.ts). A copy that fails is quarantined and healed from a replica (storage/integrity.ts).
import type { ServerResponse } from 'node:http';
import { apiError } from '../errors.js';
import type { BlobCache } from '../cluster/blobCache.js';
import { Feed } from '../cluster/feed.js';
import type { PeerFetcher } from '../cluster/fetcher.js';
import type { Metrics } from '../metrics.js';
import { isNotFound, type BlobStore } from '../storage/blobStore.js';
import type { HotCache } from '../storage/hotCache.js';
import type { Integrity } from '../storage/integrity.js';
import { MemorySink } from '../storage/memorySink.js';
import { pumpBlob, type OpenBlob } from '../storage/pump.js';
import { isIntegrityError, type VerifyFrom } from '../storage/verify.js';

export interface BlobSource {
  readonly blobs: BlobStore;
  readonly hot: HotCache;
  readonly cache: BlobCache;
  readonly integrity: Integrity;
  readonly metrics: Metrics;
  /** the cluster's peer fetcher (absent standalone): a blob missing here is fetched from its homes */
  readonly fetcher: PeerFetcher | undefined;
}

export interface Body {
  readonly status: number;
  readonly start: number;
  readonly end: number;
  readonly headers: Record<string, string>;
}

export interface Blob {
  readonly sha256: string;
  readonly size: number;
}

/** Sends [start, end] of a blob with the given status and headers, from wherever a sound copy is. */
export async function sendBody(src: BlobSource, res: ServerResponse, t: Blob, b: Body): Promise<void> {
  const hot = src.hot.get(t.sha256);
  if (hot) {
    src.metrics.cacheHits.inc();
    src.metrics.hotCacheHits.inc();
    return endWith(res, b, hot);
  }
  try {
    await sendLocal(src, res, t, b);
    src.metrics.cacheHits.inc();
    src.cache.touch(t.sha256);
  } catch (err) {
    if (isIntegrityError(err)) return sendHealed(src, res, t, b, await src.integrity.corruptAndHeal(err, 'read', t.size));
    const fetcher = src.fetcher;
    if (!isNotFound(err)) throw err;
    if (fetcher === undefined) throw missing(src, t);
    await sendMiss(src, res, t, b, fetcher);
  }
}

/** The bytes of a small blob (the caller bounds the size), verified, fetched from a home when missing here. */
export async function smallBytes(src: BlobSource, t: Blob): Promise<Buffer> {
  const hot = src.hot.get(t.sha256);
  if (hot) return hot;
  try {
    return await loadHot(src, t);
  } catch (err) {
    if (isIntegrityError(err)) {
      if (!(await src.integrity.corruptAndHeal(err, 'read', t.size))) throw apiError('blob_corrupt');
      return loadHot(src, t);
    }
    const fetcher = src.fetcher;
    if (!isNotFound(err)) throw err;
    if (fetcher === undefined) throw missing(src, t);
    const release = src.blobs.hold(t.sha256);
    try {
      await fetcher.fetch(t.sha256, t.size);
      return await loadHot(src, t);
    } finally {
      release();
    }
  }
}

/** No copy here and nowhere to fetch one from: absent, or quarantined because it was corrupt. */
const missing = (src: BlobSource, t: Blob): Error =>
  apiError(src.integrity.wasQuarantined(t.sha256) ? 'blob_corrupt' : 'blob_unavailable');

async function loadHot(src: BlobSource, t: Blob): Promise<Buffer> {
  const buf = await src.blobs.readVerified(t.sha256, t.size);
  src.hot.set(t.sha256, buf);
  src.metrics.hotCacheBytes.set(src.hot.bytes);
  return buf;
}

function endWith(res: ServerResponse, b: Body, buf: Buffer): void {
  res.writeHead(b.status, b.headers);
  res.end(b.status === 206 ? buf.subarray(b.start, b.end + 1) : buf);
}

/** A large blob read from disk: into the hot cache's large tier when it was read before (hotCache.ts decides). */
function keepIfHot(src: BlobSource, t: Blob): void {
  src.hot
    .readLarge(t.sha256, t.size, () => loadWhole(src, t))
    .catch((err: unknown) => {
      // a bad copy: quarantined and healed, as when a download finds it; anything else (gone meanwhile) just is not kept
      if (isIntegrityError(err)) void src.integrity.corruptAndHeal(err, 'read', t.size);
    });
}

/** The whole local copy in memory, read and verified as a download is. */
async function loadWhole(src: BlobSource, t: Blob): Promise<Buffer> {
  const open = await src.blobs.openChecked(t.sha256, t.size);
  const sink = new MemorySink(t.size);
  await pumpBlob(open, sink, { sha256: t.sha256, size: t.size, onBad: () => src.blobs.condemn(t.sha256) });
  return sink.buffer();
}

/** From this node's disk; throws ENOENT or an IntegrityError before anything is written. */
async function sendLocal(src: BlobSource, res: ServerResponse, t: Blob, b: Body): Promise<void> {
  if (src.hot.admits(t.size)) return endWith(res, b, await loadHot(src, t));
  const whole = b.status === 200;
  // a whole object is read to the end of the file (bytes past its size fail the check), a range to its end
  const open = await src.blobs.openChecked(t.sha256, t.size, b.start, whole ? undefined : b.end);
  keepIfHot(src, t); // a copy that opened with the right size (not condemned) is worth keeping
  if (!whole && !src.blobs.verifiedSince(t.sha256, open.stat)) {
    // A part cannot be checked against the whole's digest: verify the whole once (remembered until it changes).
    const bad = await src.blobs.verifyFile(t.sha256).catch(async (err: unknown) => {
      await open.close();
      throw err;
    });
    if (bad) {
      await open.close();
      throw bad;
    }
  }
  res.writeHead(b.status, b.headers);
  await sendOpen(src, res, t, { open, whole });
}

/** An open local copy; `whole`: all of it (else a range), from `from` when it continues a transfer. */
interface LocalCopy {
  readonly open: OpenBlob;
  readonly whole: boolean;
  readonly from?: VerifyFrom;
}

/**
 * Sends an open local copy to the client; a whole object (or the rest of one, `from` where a transfer left off) is
 * verified as it goes (sendLocal checked a range's whole file). A failure cuts the response, never finishes it.
 */
async function sendOpen(src: BlobSource, res: ServerResponse, t: Blob, { open, whole, from }: LocalCopy): Promise<void> {
  try {
    const check = whole ? { sha256: t.sha256, size: t.size, from, onBad: () => src.blobs.condemn(t.sha256) } : undefined;
    await pumpBlob(open, res, check);
  } catch (err) {
    res.destroy(); // the client went away, the disk failed, or the bytes were wrong: cut, never finish
    if (isIntegrityError(err)) void src.integrity.corruptAndHeal(err, 'read', t.size);
  }
}

/** After a corrupt copy was quarantined: serve the healed one, or say there is none. */
async function sendHealed(src: BlobSource, res: ServerResponse, t: Blob, b: Body, healed: boolean): Promise<void> {
  if (!healed) throw apiError('blob_corrupt');
  await sendLocal(src, res, t, b);
}

/** Not here: fetch from a home. A plain GET that starts the transfer is fed as the bytes arrive. */
async function sendMiss(src: BlobSource, res: ServerResponse, t: Blob, b: Body, fetcher: PeerFetcher): Promise<void> {
  src.metrics.cacheMisses.inc();
  const headers = { ...b.headers, 'X-Cache': 'MISS' };
  // Held from now until this response has its file open: cache admission cannot remove it in between.
  const release = src.blobs.hold(t.sha256);
  try {
    if (b.status !== 200 || fetcher.busy(t.sha256)) {
      await fetcher.fetch(t.sha256, t.size);
      return await sendLocal(src, res, t, { ...b, headers });
    }
    const feed = new Feed(res, headers);
    try {
      await fetcher.fetch(t.sha256, t.size, feed);
    } catch (err) {
      if (feed.state === 'waiting') throw err; // nothing sent yet: a clean error response
      return;
    }
    if (feed.state === 'detached') await continueFeed(src, res, t, feed);
  } finally {
    release();
  }
}

/** A client that fell behind the transfer continues from the local copy, verified from where it left off. */
async function continueFeed(src: BlobSource, res: ServerResponse, t: Blob, feed: Feed): Promise<void> {
  if (feed.sent >= t.size) {
    // everything went out before the digest was in: the transfer (which verified it) succeeded, so end it
    res.end();
    return;
  }
  let open: OpenBlob;
  try {
    open = await src.blobs.openChecked(t.sha256, t.size, feed.sent);
  } catch {
    res.destroy();
    return;
  }
  await sendOpen(src, res, t, { open, whole: true, from: { offset: feed.sent, hash: feed.sentHash() } });
}
