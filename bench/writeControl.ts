// The control for the comparison with MinIO: the plainest Node store. A PUT is as durable as kubecdn makes it —
// node:http, the body streamed into a temporary file while SHA-256 hashes it, the file linked to its
// content-addressed name, its data and its directory (and the directory's parents when it had to be made) fsynced
// together, as kubecdn's BlobStore.place does for a blob its journal does not take (kubecdn makes a small one durable
// by a group-committed journal record instead: kubecdn / this above 1 is what that buys), the temporary name removed, then one Redis script that records the
// version (on a Redis with appendfsync always: fsynced before the answer), then 201. A GET reads the name's head in
// Redis and streams the blob from disk (256 KiB reads piped into the response, kubecdn's read size for big files).
// No lock, no authentication, no validation, no digest check on the way out, no log, no metrics, no notification:
// what node:http, the thread pool and one Redis round trip cost on this machine. kubecdn / this is what kubecdn's own
// path costs; this / MinIO is what Node allows here.
// Run as `node dist/bench/writeControl.js <port> <dataDir> <redisUrl>`.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { Redis } from 'ioredis';
import { dirsToSync, syncPath } from '../node/src/storage/blobStore.js';

const [port, dataDir, redisUrl] = [Number(process.argv[2]), path.resolve(process.argv[3] ?? '.'), process.argv[4] ?? ''];
const redis = new Redis(redisUrl);
const tmpDir = path.join(dataDir, 'tmp');

// one hash per name: count, one field per version and the head, as kubecdn's file hash keeps them
const COMMIT = `local n = redis.call('HINCRBY', KEYS[1], 'count', 1)
redis.call('HSET', KEYS[1], 'v' .. n, ARGV[1], 'head', ARGV[1])
return n`;
const blobPath = (sha256: string): string => path.join(dataDir, 'blobs', sha256.slice(0, 2), sha256.slice(2, 4), sha256);

/** The body into a temporary file, hashed on the way. Its name and digest. */
async function receive(req: http.IncomingMessage): Promise<{ tmp: string; sha256: string; size: number }> {
  const tmp = path.join(tmpDir, randomBytes(8).toString('hex'));
  const fh = await fs.open(tmp, 'wx');
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      await fh.write(chunk);
    }
  } finally {
    await fh.close();
  }
  return { tmp, sha256: hash.digest('hex'), size };
}

/** Links tmp to its digest's name; the directories to fsync: the leaf, and the parents of what had to be made (as kubecdn). */
async function link(tmp: string, final: string): Promise<string[]> {
  const dir = path.dirname(final);
  try {
    await fs.link(tmp, final);
    return [dir];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return [dir];
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const made = await fs.mkdir(dir, { recursive: true });
    await fs.link(tmp, final);
    return dirsToSync(dir, made);
  }
}

async function put(name: string, req: http.IncomingMessage): Promise<string> {
  const { tmp, sha256, size } = await receive(req);
  const final = blobPath(sha256);
  const dirs = await link(tmp, final);
  await Promise.all([syncPath(final, true), ...dirs.map((d) => syncPath(d, false)), fs.unlink(tmp)]);
  const time = new Date().toISOString();
  const version = await redis.eval(COMMIT, 1, `control:file:${name}`, JSON.stringify({ sha256, size, time }));
  return JSON.stringify({ name, version, sha256, size, time });
}

/** The head's blob from disk, or 404. */
async function get(name: string, res: http.ServerResponse): Promise<void> {
  const head = await redis.hget(`control:file:${name}`, 'head');
  if (head === null) {
    res.writeHead(404, { 'Content-Length': '0' }).end();
    return;
  }
  const { sha256, size } = JSON.parse(head) as { sha256: string; size: number };
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size, ETag: `"${sha256}"` });
  pipeline(createReadStream(blobPath(sha256), { highWaterMark: 256 * 1024 }), res, () => undefined);
}

await fs.mkdir(tmpDir, { recursive: true });
// the 256 first-level fan-out directories exist from the start, as kubecdn's BlobStore.init makes them
await Promise.all(Array.from({ length: 256 }, (_, i) => fs.mkdir(path.join(dataDir, 'blobs', i.toString(16).padStart(2, '0')), { recursive: true })));
http
  .createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0]!.replace(/^\/files\//, ''));
    if ((req.method !== 'PUT' && req.method !== 'GET') || name === '' || name.includes('..')) {
      res.writeHead(400, { 'Content-Length': '0' }).end();
      return;
    }
    if (req.method === 'GET') {
      get(name, res).catch((err: unknown) => res.destroy(err as Error));
      return;
    }
    put(name, req).then(
      (body) => res.writeHead(201, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body),
      (err: unknown) => {
        const body = String(err);
        res.writeHead(500, { 'Content-Length': Buffer.byteLength(body) }).end(body);
      },
    );
  })
  .listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
