// A real redis-server per test file, on a free loopback port, in a temp dir. Never a mock, never 6379. The benchmark
// starts its redis-server with launchRedis too, and finds free ports here.
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { inMemory, type Launcher, type Proc } from './proc.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts a server on a free port, on a new one (3 tries) when another process took it before the server bound it. */
export async function onFreePort<T>(name: string, launch: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(await freePort());
    } catch (err) {
      if (attempt >= 3) throw new Error(`${name} did not start: ${(err as Error).message}`, { cause: err });
    }
  }
}

/**
 * redis-server on a loopback port with all of its state in `dir`; resolves once it answers PING. persist: an
 * append-only file fsynced on every write, so a restart (even after SIGKILL) keeps the data.
 */
export async function launchRedis(
  port: number,
  dir: string,
  opts: { persist?: boolean; launcher?: Launcher; name?: string } = {},
): Promise<Proc> {
  const aof = opts.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...aof, '--dir', dir];
  const name = opts.name ?? 'redis';
  const p = (opts.launcher ?? inMemory)(name, 'redis-server', args, process.env);
  try {
    // exited: it could not bind the port (taken), reported at once instead of after the timeout
    await waitFor(async () => p.exited() || (await redisAnswers(port)), 10_000, `${name} on ${port}`);
    if (p.exited()) throw new Error(`${name} exited`);
  } catch (err) {
    await p.stop('SIGKILL');
    throw new Error(`${(err as Error).message}: ${p.output().slice(-2000)}`, { cause: err });
  }
  return p;
}

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** stops the server (SIGKILL: as abrupt as a crash) */
  kill(): Promise<void>;
  /** starts it again on the same port */
  start(): Promise<void>;
  stop(): Promise<void>;
  client(): Redis;
}

/** persist: see launchRedis. */
export async function startRedis(opts: { persist?: boolean } = {}): Promise<TestRedis> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kubecdn-redis-'));
  const first = await onFreePort('redis-server', async (port) => ({ port, proc: await launchRedis(port, dir, opts) }));
  const port = first.port;
  let proc = first.proc;
  const clients: Redis[] = [];
  const start = async (): Promise<void> => void (proc = await launchRedis(port, dir, opts));
  const kill = (): Promise<void> => proc.stop('SIGKILL');
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    kill,
    start,
    async stop() {
      for (const c of clients) c.disconnect();
      await kill();
      await fs.rm(dir, { recursive: true, force: true });
    },
    client() {
      const c = new Redis({ port, host: '127.0.0.1' });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
  };
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True when a redis-server answers PING on this loopback port (one short-lived connection, no retries). */
export async function redisAnswers(port: number): Promise<boolean> {
  const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } finally {
    c.disconnect();
  }
}
