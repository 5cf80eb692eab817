// The controls for the cache-hit runs: the plainest Node servers that do the same job, with the same response
// headers a kubecdn hit sends. `memory` answers each GET with a Buffer kept in memory: what it reaches against nginx
// in the same run is what node:http itself allows on this machine, and kubecdn / it is what kubecdn's own work
// costs. `disk` streams the file from disk on every GET (a 256 KiB read stream piped into the response, kubecdn's
// read size for big files): what Node reaches where nginx uses sendfile and kubecdn reads a copy it cannot keep in
// memory (16 MiB files). Run as `node dist/bench/baselineServer.js <port> <root> [memory|disk]`; a file is read
// whole once, on first use, for its ETag (the memory control keeps it).
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream';

const [port, root] = [Number(process.argv[2]), path.resolve(process.argv[3] ?? '.')];
const fromDisk = process.argv[4] === 'disk';
const files = new Map<string, { file: string; body: Buffer | undefined; headers: string[] }>();
let seq = 0;

function load(urlPath: string): { file: string; body: Buffer | undefined; headers: string[] } | undefined {
  let f = files.get(urlPath);
  if (f) return f;
  const file = path.join(root, path.normalize(decodeURIComponent(urlPath)));
  if (!file.startsWith(root + path.sep)) return undefined;
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch {
    return undefined;
  }
  const etag = `"${createHash('sha256').update(body).digest('hex')}"`;
  const headers = ['ETag', etag, 'Last-Modified', new Date().toUTCString(), 'Content-Type', 'application/octet-stream',
    'Content-Length', String(body.length), 'Accept-Ranges', 'bytes', 'Cache-Control', 'public, max-age=5',
    'X-Content-Version', '1', 'X-Cache', 'HIT'];
  f = { file, body: fromDisk ? undefined : body, headers };
  files.set(urlPath, f);
  return f;
}

http
  .createServer((req, res) => {
    const f = load((req.url ?? '/').split('?')[0]!);
    if (!f) {
      res.writeHead(404, { 'Content-Length': '0' });
      res.end();
      return;
    }
    res.writeHead(200, [...f.headers, 'X-Request-Id', `baseline-${(seq++).toString(36)}`]);
    if (f.body) res.end(f.body);
    else pipeline(createReadStream(f.file, { highWaterMark: 256 * 1024 }), res, () => undefined);
  })
  .listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
