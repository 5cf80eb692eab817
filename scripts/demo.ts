// `npm run demo`: starts Redis and a kubecdn file node on this machine, publishes a file, reads it back, and keeps
// running until Ctrl-C. `--check` stops after showing the file (used by the test suite).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const check = process.argv.includes('--check');

async function freePort(preferred: number): Promise<number> {
  const tryPort = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
  return tryPort(preferred).catch(() => tryPort(0));
}

async function waitUntil(what: string, probe: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not start`);
}

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv, log: string): ChildProcess {
  const fd = openSync(log, 'a');
  try {
    return spawn(cmd, args, { env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd); // the child has its own copy
  }
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kubecdn-demo-'));
  const redisPort = await freePort(0);
  const port = await freePort(Number(process.env.PORT ?? 8080));
  const token = randomBytes(12).toString('hex');
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const c of children.reverse()) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    await fs.rm(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void stop().then(() => process.exit(0)));
  process.on('SIGTERM', () => void stop().then(() => process.exit(0)));

  children.push(
    start('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--dir', dir], process.env, path.join(dir, 'redis.log')),
  );
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const url = `http://127.0.0.1:${port}`;
  children.push(
    start(
      process.execPath,
      [path.join(ROOT, 'dist/node/src/main.js')],
      { ...process.env, NODE_ID: 'demo-1', HOST: '127.0.0.1', PORT: String(port), REDIS_URL: redisUrl, DATA_DIR: path.join(dir, 'data'), WRITE_TOKEN: token },
      path.join(dir, 'node.log'),
    ),
  );
  await waitUntil('the file node', async () => (await fetch(`${url}/readyz`)).ok);

  const put = await fetch(`${url}/files/hello/world.txt`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain; charset=utf-8' },
    body: 'Hello from kubecdn!\n',
  });
  const record = (await put.json()) as { version: number; sha256: string };
  const got = await fetch(`${url}/files/hello/world.txt`);
  const text = await got.text();

  console.log(`
kubecdn is running: one file node (${url}) with its Redis (${redisUrl}).

Published hello/world.txt as version ${record.version} (sha256 ${record.sha256.slice(0, 16)}...).
GET ${url}/files/hello/world.txt -> ${got.status}, ETag ${got.headers.get('etag')?.slice(0, 18)}..., X-Cache ${got.headers.get('x-cache')}
  ${text.trim()}

Try it (the write token for this run is ${token}):
  curl -s ${url}/files/hello/world.txt
  curl -s -X PUT -H 'Authorization: Bearer ${token}' --data-binary @README.md ${url}/files/docs/README.md
  curl -s ${url}/files/hello/world.txt/versions
  curl -s ${url}/files
  curl -sN ${url}/events                          # live change notifications (SSE)
  redis-cli -p ${redisPort} SUBSCRIBE file_notifications   # the original notification channel
  curl -s ${url}/metrics | grep ^kubecdn_

Logs: ${dir}/node.log   Stop: Ctrl-C
`);
  if (check) {
    await stop();
    if (text !== 'Hello from kubecdn!\n') process.exit(1);
    return;
  }
  await new Promise(() => undefined);
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${(err as Error).message}`);
  process.exit(1);
});
