// A slow client cannot hold a connection forever: stalled headers and stalled bodies are cut off.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode } from '../helpers/node.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let node: Awaited<ReturnType<typeof startNode>>;

beforeAll(async () => {
  redis = await startRedis();
  node = await startNode(redis.url, { HEADERS_TIMEOUT_MS: '300', IDLE_TIMEOUT_MS: '500' });
});
afterAll(async () => {
  await node?.close();
  await redis?.stop();
});

/** Sends `data`, then stalls; resolves with what the server said before it closed the socket (or 'still open'). */
function stall(data: string, capMs: number): Promise<string> {
  const { port } = new URL(node.url);
  return new Promise((resolve) => {
    const sock = net.connect(Number(port), '127.0.0.1', () => sock.write(data));
    let got = '';
    sock.on('data', (d) => (got += d.toString()));
    sock.on('error', () => undefined);
    sock.on('close', () => resolve(`closed:${got}`));
    setTimeout(() => {
      sock.destroy();
      resolve('still open');
    }, capMs).unref();
  });
}

describe('slow clients', () => {
  it('a client that never finishes its headers is disconnected', async () => {
    const r = await stall('GET /files/x HTTP/1.1\r\nHost: a\r\nX-Slow: ', 15_000);
    expect(r.startsWith('closed:')).toBe(true);
  });

  it('a client that stops sending its body is disconnected and nothing is stored', async () => {
    const r = await stall('PUT /files/slow-body HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nonly a little', 15_000);
    expect(r.startsWith('closed:')).toBe(true);
    expect((await fetch(`${node.url}/files/slow-body`)).status).toBe(404);
  });
});
