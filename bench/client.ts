// The benchmark's own HTTP client, on node:http with keep-alive agents: one request, timed from the moment it is
// handed to the socket layer to its last body byte, with the body hashed on the way (never held unless asked).
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { Readable } from 'node:stream';

export interface Timed {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly bytes: number;
  readonly sha256: string;
  /** performance.now() when the request started, when the response headers came, when its body ended */
  readonly t0: number;
  readonly tHeaders: number;
  readonly tEnd: number;
  /** time to last byte */
  readonly ms: number;
  /** the body, when keepBody was asked for */
  readonly body?: Buffer;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | Readable;
  readonly agent?: http.Agent;
  readonly keepBody?: boolean;
}

export const keepAliveAgent = (maxSockets = 8): http.Agent => new http.Agent({ keepAlive: true, maxSockets });

export const fileUrl = (base: string, name: string): string => `${base}/files/${name.split('/').map(encodeURIComponent).join('/')}`;

export const sha256Hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export function timed(url: string, opts: RequestOptions = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent }, (res) => {
      const tHeaders = performance.now();
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        hash.update(c);
        bytes += c.length;
        if (opts.keepBody) chunks.push(c);
      });
      res.once('error', reject);
      res.once('end', () => {
        const tEnd = performance.now();
        const base = { status: res.statusCode ?? 0, headers: res.headers, bytes, sha256: hash.digest('hex'), t0, tHeaders, tEnd, ms: tEnd - t0 };
        resolve(opts.keepBody ? { ...base, body: Buffer.concat(chunks) } : base);
      });
    });
    req.once('error', reject);
    const body = opts.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      body.once('error', (err) => req.destroy(err));
      body.pipe(req);
    }
  });
}

export const auth = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });

export interface PutOptions {
  readonly token: string;
  readonly agent?: http.Agent | undefined;
  /** appended to the URL, e.g. "?waitMs=5000" */
  readonly query?: string;
}

/** PUT bytes as a new version; the answer whatever its status. */
export function put(base: string, name: string, body: Buffer, o: PutOptions): Promise<Timed> {
  return timed(`${fileUrl(base, name)}${o.query ?? ''}`, {
    method: 'PUT',
    body,
    agent: o.agent,
    keepBody: true,
    headers: { ...auth(o.token), 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) },
  });
}

/** PUT that throws unless the node answered 201 (new version) or 200 (unchanged). */
export async function putFile(base: string, name: string, body: Buffer, token: string, agent?: http.Agent): Promise<Timed> {
  const r = await put(base, name, body, { token, agent });
  if (r.status !== 201 && r.status !== 200) throw new Error(`PUT ${name}: ${r.status} ${r.body?.toString().slice(0, 300)}`);
  return r;
}

/** Opens `n` keep-alive connections on the agent, so the requests that follow start together without a connect. */
export async function openConnections(base: string, agent: http.Agent, n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => timed(`${base}/healthz`, { agent })));
}
