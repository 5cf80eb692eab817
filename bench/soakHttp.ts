// The soak run's reads. Like bench/client.ts `timed` (whose writes the run uses as they are), the body is hashed as
// it streams; unlike it, the body is kept only when it is small and wanted: an error answer (its JSON code and, for a
// 5xx, the example shown in the report) or a compat route's JSON. A 4 MiB read is never held. Every socket gives up
// after `idleMs` without a byte either way, so a node that stops answering cannot stall the run.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';

export interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly bytes: number;
  readonly sha256: string;
  readonly ms: number;
  /** the body when it was kept: errors (first ERROR_BODY_BYTES) and `keepUpTo` bodies */
  readonly body?: Buffer;
}

const ERROR_BODY_BYTES = 4096;

/**
 * A keep-alive agent whose sockets are destroyed after `idleMs` of silence while a request uses them (the request
 * then fails). The timeout is armed when a socket is made and again each time a kept-alive socket is reused: the
 * agent sets its own (shorter, from the server's Keep-Alive hint) while the socket sits free.
 */
export function idleTimeoutAgent(maxSockets: number, idleMs: number): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const create = agent.createConnection.bind(agent);
  const reuse = agent.reuseSocket.bind(agent);
  agent.createConnection = (...args: Parameters<typeof create>): ReturnType<typeof create> => {
    const socket = create(...args) as Socket;
    socket.setTimeout(idleMs);
    socket.on('timeout', () => socket.destroy(new Error(`no byte for ${idleMs} ms`)));
    return socket;
  };
  agent.reuseSocket = (socket, request): void => {
    reuse(socket, request);
    (socket as Socket).setTimeout(idleMs);
  };
  return agent;
}

export interface ReadOptions {
  readonly agent: http.Agent;
  readonly headers?: Record<string, string>;
  /** keep a 2xx body up to this many bytes (more: `body` is left out) */
  readonly keepUpTo?: number;
}

export function read(url: string, opts: ReadOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent: opts.agent, headers: opts.headers }, (res) => {
      const status = res.statusCode ?? 0;
      const limit = status >= 300 ? ERROR_BODY_BYTES : (opts.keepUpTo ?? 0);
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let bytes = 0;
      let kept = 0;
      res.on('data', (c: Buffer) => {
        hash.update(c);
        bytes += c.length;
        if (kept < limit) chunks.push(c.subarray(0, limit - kept));
        kept += c.length;
      });
      res.once('error', reject);
      res.once('end', () => {
        const whole = kept <= limit || status >= 300;
        const base = { status, headers: res.headers, bytes, sha256: hash.digest('hex'), ms: performance.now() - t0 };
        resolve(limit > 0 && whole ? { ...base, body: Buffer.concat(chunks) } : base);
      });
    });
    req.once('error', reject);
  });
}

/** The catalogue code of an error answer ({"error":{"code"}}), if it has one. */
export function errorCode(body: Buffer | undefined): string | undefined {
  if (!body || body.length === 0) return undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
}

/** The strong ETag's digest ("<sha256>"), or undefined. */
export function etagDigest(headers: http.IncomingHttpHeaders): string | undefined {
  return /^"([0-9a-f]{64})"$/.exec(headers.etag ?? '')?.[1];
}

/** A short description of an answer for the report's examples. */
export function describe(status: number, body: Buffer | undefined, max = 400): string {
  const text = body ? body.toString('utf8').replace(/\s+/g, ' ').slice(0, max) : '';
  return text ? `${status} ${text}` : String(status);
}
