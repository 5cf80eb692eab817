// MinIO for the kubecdn-vs-MinIO section: the pinned server binary (built once by bench/minio-build.sh), run the
// way its quick start runs it (`minio server <one dir>`: one node, one drive) on loopback with credentials made for
// this run and all of its state in the run dir, and a versioned bucket. Every request the section measures is plain
// HTTP to a URL the `minio` client presigned (SigV4 in the query): the same client code as for kubecdn.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'minio';
import { freePort, onFreePort, waitFor } from '../test/helpers/redis.js';
import { ROOT, say } from './context.js';
import { countS3Versions, type Store } from './minioStore.js';
import { start } from './proc.js';
import { httpReady } from './servers.js';

const BUCKET = 'bench';
const REGION = 'us-east-1';
/** long enough for any run; a presigned URL is checked (signature and expiry) on every request, as in use */
const PRESIGN_EXPIRY_S = 24 * 3600;

export interface MinioBinary {
  readonly bin: string;
  /** the github.com/minio/minio module version it was built from */
  readonly version: string;
}

/**
 * bench/minio-build.sh: the binary's path at once when it is in the cache, otherwise after building it (minutes;
 * its progress goes to our stderr). Needs Go; the section fails saying so when there is none.
 */
export async function minioBinary(): Promise<MinioBinary> {
  const script = path.join(ROOT, 'bench/minio-build.sh');
  const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const bin = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || bin === '') throw new Error(`bench/minio-build.sh failed (exit ${code}): MinIO could not be built`);
  return { bin, version: path.basename(path.dirname(bin)) };
}

/**
 * MinIO on 127.0.0.1 with its default settings (durability included: see docs/benchmarks.md), except what keeps it
 * on this run: its own certs dir and HOME in the run dir, the web console off (not part of the store; it would
 * only add memory to MinIO's side).
 */
export async function startMinio(runDir: string, bin: string): Promise<Store> {
  const dir = path.join(runDir, 'minio');
  const data = path.join(dir, 'data');
  await fs.mkdir(data, { recursive: true });
  const accessKey = `bench${randomBytes(6).toString('hex')}`;
  const secretKey = randomBytes(24).toString('hex');
  const env = { PATH: process.env.PATH, HOME: dir, MINIO_ROOT_USER: accessKey, MINIO_ROOT_PASSWORD: secretKey, MINIO_BROWSER: 'off' };
  const { child, port } = await onFreePort('minio', async (port) => {
    const consoleAddress = `127.0.0.1:${await freePort()}`;
    const args = ['server', '--quiet', '--address', `127.0.0.1:${port}`, '--console-address', consoleAddress, '--certs-dir', path.join(dir, 'certs'), data];
    const child = start('minio', bin, args, { env, logFile: path.join(dir, 'minio.log') });
    await httpReady(child, `http://127.0.0.1:${port}/minio/health/live`);
    // live is not ready: until its drive is initialised MinIO answers S3 requests with 503
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/minio/health/ready`)).status === 200, 15_000, 'minio ready').catch(async (err: unknown) => {
      await child.stop();
      throw err;
    });
    return { child, port };
  });
  try {
    const client = new Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey, secretKey, region: REGION });
    await client.makeBucket(BUCKET, REGION);
    // kubecdn keeps every version of a name; MinIO does the same with versioning on: the same work per write
    await client.setBucketVersioning(BUCKET, { Status: 'Enabled' });
    say(`minio: pid ${child.pid} on 127.0.0.1:${port}, bucket "${BUCKET}" versioned`);
    return minioStore(client, child.pid, () => child.stop());
  } catch (err) {
    await child.stop();
    throw err;
  }
}

function minioStore(client: Client, pid: number, stop: () => Promise<void>): Store {
  return {
    name: 'minio',
    putOk: 200,
    durability: 'its default: xl.meta (small objects inlined in it) written with O_DSYNC, then renamed into place',
    processes: [{ label: 'minio', pid }],
    put: async (key) => ({ url: await client.presignedPutObject(BUCKET, key, PRESIGN_EXPIRY_S), headers: {} }),
    get: (key) => client.presignedGetObject(BUCKET, key, PRESIGN_EXPIRY_S),
    listVersions: (key, max) => client.presignedUrl('GET', BUCKET, '', PRESIGN_EXPIRY_S, { versions: '', prefix: key, 'max-keys': String(max) }),
    countVersions: countS3Versions,
    stop,
  };
}
