// What the end-to-end suite does as a user: kubectl and helm against the test cluster, HTTP to the Ingress and pods,
// and a bounded read load that counts every failed or wrong read.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { request as httpRequest, Agent } from 'node:http';
import { inject } from 'vitest';

export { waitFor, sleep } from '../k8s/helpers.js';

export const ENV: Record<string, string> = inject('clusterEnv') ?? {};
export const HAVE_CLUSTER = ENV.KUBECONFIG !== undefined;
export const NAMESPACE = 'cdn';
export const RELEASE_NAMESPACE = 'kubecdn-system';

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export function run(cmd: string, args: string[], input?: string, timeoutMs = 300_000): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    throw new Error(`${cmd.split('/').pop()} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}
export const kubectl = (...args: string[]): string =>
  run(`${ENV.KUBECDN_K8S_BIN}/kubectl`, ['--kubeconfig', ENV.KUBECONFIG!, ...args]);
export const kubectlIn = (input: string, ...args: string[]): string =>
  run(`${ENV.KUBECDN_K8S_BIN}/kubectl`, ['--kubeconfig', ENV.KUBECONFIG!, ...args], input);
export const helm = (...args: string[]): string =>
  run(`${ENV.KUBECDN_K8S_BIN}/helm`, ['--kubeconfig', ENV.KUBECONFIG!, ...args], undefined, 900_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;
export const getJson = (...args: string[]): Obj => JSON.parse(kubectl('get', ...args, '-o', 'json')) as Obj;

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** One HTTP exchange over a real socket, bounded in time; the body is small test content, so it is buffered. */
export function http(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers, agent, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const filePath = (name: string): string => `/files/${name.split('/').map(encodeURIComponent).join('/')}`;

/** The node pods of the CdnCluster, with their IPs (reachable from the host over the cluster's veth). */
export function nodePods(cluster = 'cdn'): { name: string; ip: string; ready: boolean }[] {
  const pods = getJson('pods', '-n', NAMESPACE, '-l', `kubecdn.io/cluster=${cluster},app.kubernetes.io/component=node`);
  return (pods.items as Obj[]).map((p) => ({
    name: p.metadata.name as string,
    ip: (p.status.podIP ?? '') as string,
    ready: ((p.status.conditions ?? []) as Obj[]).some((c) => c.type === 'Ready' && c.status === 'True'),
  }));
}

export interface LoadResult {
  ok: number;
  failed: number;
  failures: string[];
}

/**
 * Reads the given files (name -> sha256) round-robin through `base` until stopped, at most `maxRequests` reads and
 * `maxMs` long: a read fails on any status but 200, a transport error, or bytes that do not match.
 */
export function readLoad(base: string, files: Map<string, string>, maxRequests = 200_000, maxMs = 600_000): { stop(): Promise<LoadResult> } {
  const result: LoadResult = { ok: 0, failed: 0, failures: [] };
  const names = [...files.keys()];
  const until = Date.now() + maxMs;
  let stopped = false;
  let i = 0;
  const fail = (why: string): void => {
    result.failed++;
    if (result.failures.length < 20) result.failures.push(why);
  };
  const readOne = async (name: string): Promise<void> => {
    try {
      const r = await http(base + filePath(name));
      if (r.status === 200 && sha256(r.body) === files.get(name)) result.ok++;
      else fail(`${name}: ${r.status} ${r.body.subarray(0, 200).toString()}`);
    } catch (err) {
      fail(`${name}: ${(err as Error).message}`);
    }
  };
  const worker = async (): Promise<void> => {
    while (!stopped && Date.now() < until && i < maxRequests) await readOne(names[i++ % names.length]!);
  };
  const workers = Array.from({ length: 4 }, worker);
  return {
    async stop() {
      stopped = true;
      await Promise.all(workers);
      return result;
    },
  };
}

/**
 * A long-running pod to connect from, meeting Pod Security "restricted" (the e2e namespaces enforce it), from the
 * image the cluster already holds.
 */
export function startProbePod(namespace: string, name: string, labels: Record<string, string> = {}): void {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': 'probe', ...labels } },
    spec: {
      terminationGracePeriodSeconds: 0,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{
        name: 'probe', image: ENV.KUBECDN_IMAGE, imagePullPolicy: 'IfNotPresent',
        command: ['node', '-e', 'setInterval(() => {}, 1 << 30)'],
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      }],
    },
  };
  kubectlIn(JSON.stringify(pod), 'apply', '-f', '-');
}

// Connects to each host:port, sends one line, and reports the first line answered (Redis: `-NOAUTH ...`, the node:
// `HTTP/1.1 400 ...`) or why none came (ECONNREFUSED: a policy's REJECT; timeout).
const PROBE = `
  const net = require('node:net');
  const one = (t) => new Promise((res) => {
    const [host, port] = t.split(':');
    const s = net.connect({ host, port: Number(port), timeout: 2000 });
    s.on('connect', () => s.write('PING\\r\\n'));
    s.on('data', (d) => { s.destroy(); res(d.toString().split('\\r\\n')[0]); });
    s.on('timeout', () => { s.destroy(); res('timeout'); });
    s.on('error', (e) => res(e.code));
    s.on('end', () => res('closed'));
  });
  Promise.all(process.argv.slice(1).map(one)).then((r) => console.log(JSON.stringify(r)));`;

/** What `pod` gets from each `host:port` (see PROBE), through kubectl exec. */
export function probeFrom(namespace: string, pod: string, targets: string[]): Record<string, string> {
  const out = JSON.parse(kubectl('exec', '-n', namespace, pod, '--', 'node', '-e', PROBE, ...targets)) as string[];
  return Object.fromEntries(targets.map((t, i) => [t, out[i]!]));
}
