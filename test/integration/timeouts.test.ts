// A slow client cannot hold a connection forever: stalled headers, stalled bodies and stalled readers are cut off.
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode } from '../helpers/node.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';

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

  it('a client that stops reading a big file answered from memory is disconnected', async () => {
    // 16 MiB: more than loopback's socket buffers take, so the answer cannot all be handed to the kernel at once
    const body = randomBytes(16 * 1024 * 1024);
    const put = await fetch(`${node.url}/files/big-hot.bin`, { method: 'PUT', body });
    expect(put.status).toBe(201);
    const sha256 = createHash('sha256').update(body).digest('hex');
    // read again until the large tier keeps it (from the second read on, loaded in the background)
    await waitFor(async () => {
      expect((await (await fetch(`${node.url}/files/big-hot.bin`)).arrayBuffer()).byteLength).toBe(body.length);
      return node.deps.hot.get(sha256)?.length === body.length;
    }, 10_000, 'the file in the large hot tier');

    const { port } = new URL(node.url);
    const accepted: net.Socket[] = [];
    const onConnection = (sock: net.Socket): number => accepted.push(sock);
    node.server.on('connection', onConnection);
    const client = net.connect(Number(port), '127.0.0.1');
    client.on('error', () => undefined);
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    client.pause(); // reads nothing
    client.write('GET /files/big-hot.bin HTTP/1.1\r\nHost: a\r\n\r\n');
    const theirs = (): net.Socket | undefined => accepted.find((sock) => sock.remotePort === client.localPort);
    await waitFor(() => Promise.resolve(theirs() !== undefined), 5_000, 'the server side of the connection');
    node.server.off('connection', onConnection);
    await waitFor(() => Promise.resolve(theirs()?.destroyed === true), 15_000, 'the stalled reader cut off');
    client.destroy();
  });
});
