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

/**
 * Starts a file node with `launch` on `port`, else on another free one: a port found free can be taken before the
 * node binds it, so the node must answer with its own `id`. Its URL.
 */
async function startOwnNode(id: string, port: number, launch: (port: number) => ChildProcess, children: ChildProcess[]): Promise<string> {
  for (let attempt = 1, p = port; ; attempt++) {
    const child = launch(p);
    children.push(child);
    const u = `http://127.0.0.1:${p}`;
    const own = async (): Promise<boolean> =>
      child.exitCode === null && ((await (await fetch(`${u}/healthz`)).json()) as { node?: string }).node === id;
    try {
      await waitUntil(`the file node at ${u}`, own);
      return u;
    } catch (err) {
      child.kill('SIGKILL');
      if (attempt >= 3) throw err;
      p = await freePort(0);
    }
  }
}

/** One demo run: its directory, its secrets, and the processes it started (stopped in reverse order). */
interface Run {
  readonly dir: string;
  readonly token: string;
  readonly secret: string;
  readonly children: ChildProcess[];
}

/** The running cluster: its Redis and its three nodes' URLs. */
interface Cluster {
  readonly redisPort: number;
  readonly redisUrl: string;
  readonly urls: [string, string, string];
}

/** What the demo's write and read came back with. */
interface Shown {
  readonly version: number;
  readonly sha256: string;
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

async function main(): Promise<void> {
  const run: Run = {
    dir: await fs.mkdtemp(path.join(os.tmpdir(), 'kubecdn-demo-')),
    token: randomBytes(12).toString('hex'),
    secret: randomBytes(12).toString('hex'),
    children: [],
  };
  const redisPort = await freePort(0);
  const port = await freePort(Number(process.env.PORT ?? 8080));
  process.on('SIGINT', () => void stop(run).then(() => process.exit(0)));
  process.on('SIGTERM', () => void stop(run).then(() => process.exit(0)));
  const cluster = await startCluster(run, redisPort, port);
  const shown = await publishAndRead(cluster.urls, run.token);
  console.log(guide(run, cluster, shown));
  if (check) {
    await stop(run);
    if (shown.text !== 'Hello from kubecdn!\n') process.exit(1);
    return;
  }
  await new Promise(() => undefined);
}

async function stop(run: Run): Promise<void> {
  for (const c of run.children.reverse()) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  await fs.rm(run.dir, { recursive: true, force: true });
}

/** Redis, then three file nodes (the first on `port` when it is free), ready and seeing each other. */
async function startCluster(run: Run, redisPort: number, port: number): Promise<Cluster> {
  run.children.push(
    start(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--dir', run.dir],
      process.env,
      path.join(run.dir, 'redis.log'),
    ),
  );
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const ports = [port, await freePort(0), await freePort(0)];
  const urls: string[] = [];
  for (const [i, p] of ports.entries()) {
    urls.push(await startOwnNode(`demo-${i + 1}`, p, (nodePort) => startNode(run, redisUrl, i, nodePort), run.children));
  }
  for (const u of urls) await waitUntil(`the file node at ${u}`, async () => (await fetch(`${u}/readyz`)).ok);
  await waitUntil(
    'the cluster',
    async () => ((await (await fetch(`${urls[0]}/cluster`)).json()) as { members: unknown[] }).members.length === 3,
  );
  return { redisPort, redisUrl, urls: urls as [string, string, string] };
}

function startNode(run: Run, redisUrl: string, i: number, port: number): ChildProcess {
  return start(
    process.execPath,
    [path.join(ROOT, 'dist/node/src/main.js')],
    {
      ...process.env,
      NODE_ID: `demo-${i + 1}`,
      HOST: '127.0.0.1',
      PORT: String(port),
      REDIS_URL: redisUrl,
      DATA_DIR: path.join(run.dir, `data-${i + 1}`),
      WRITE_TOKEN: run.token,
      CLUSTER_SECRET: run.secret,
      REPLICATION_FACTOR: '2',
    },
    path.join(run.dir, `node-${i + 1}.log`),
  );
}

/** Publishes hello/world.txt on the first node and reads it from the third. */
async function publishAndRead([url, , url3]: Cluster['urls'], token: string): Promise<Shown> {
  const put = await fetch(`${url}/files/hello/world.txt`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain; charset=utf-8' },
    body: 'Hello from kubecdn!\n',
  });
  const record = (await put.json()) as { version: number; sha256: string };
  const got = await fetch(`${url3}/files/hello/world.txt`);
  return { version: record.version, sha256: record.sha256, status: got.status, headers: got.headers, text: await got.text() };
}

function guide(run: Run, { redisPort, redisUrl, urls }: Cluster, shown: Shown): string {
  const { token, dir } = run;
  const [url, url2, url3] = urls;
  return `
kubecdn is running: a three-node cluster with its Redis (${redisUrl}).
  nodes: ${urls.join('  ')}

Published hello/world.txt on ${url} as version ${shown.version} (sha256 ${shown.sha256.slice(0, 16)}..., 2 copies).
GET ${url3}/files/hello/world.txt -> ${shown.status}, X-Cache ${shown.headers.get('x-cache')}, X-Content-Version ${shown.headers.get('x-content-version')}
  ${shown.text.trim()}

Try it (the write token for this run is ${token}):
  curl -s ${url2}/files/hello/world.txt                  # any node serves any file
  curl -s -X PUT -H 'Authorization: Bearer ${token}' --data-binary @README.md ${url}/files/docs/README.md
  curl -s ${url3}/files/hello/world.txt/versions
  curl -s ${url}/cluster                                   # members and this node's cache
  curl -sN ${url}/events                                   # live change notifications (SSE)
  redis-cli -p ${redisPort} SUBSCRIBE file_notifications   # the original notification channel
  curl -s ${url}/metrics | grep ^kubecdn_

Logs: ${dir}/node-*.log   Stop: Ctrl-C
`;
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${(err as Error).message}`);
  process.exit(1);
});
