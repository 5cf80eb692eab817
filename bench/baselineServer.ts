// The control for the cache-hit runs: the plainest Node server that does the same job — node:http answering each
// GET with a Buffer kept in memory and the same response headers a kubecdn hot hit sends. What it reaches against
// nginx in the same run is what node:http itself allows on this machine; kubecdn / this is what kubecdn's own work
// costs. Run as `node dist/bench/baselineServer.js <port> <root>`; files under <root> are read once, on first use.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const [port, root] = [Number(process.argv[2]), path.resolve(process.argv[3] ?? '.')];
const files = new Map<string, { body: Buffer; headers: string[] }>();
let seq = 0;

function load(urlPath: string): { body: Buffer; headers: string[] } | undefined {
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
  f = { body, headers };
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
    res.end(f.body);
  })
  .listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
