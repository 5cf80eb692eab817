// Shared helpers of the test/k8s suite: kubectl, polling, operator child processes, apiserver restart.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { parse as parseYaml } from 'yaml';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
export const OPERATOR_MAIN = join(ROOT, 'dist/operator/src/main.js');

/** Undefined when the suite runs without test/k8s/globalSetup.ts (e.g. under the default vitest config). */
export const KUBECONFIG: string | undefined = inject('kubeconfig');
export const CP_DIR: string | undefined = inject('cpDir');
export const HAVE_CP = typeof KUBECONFIG === 'string' && KUBECONFIG !== '';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectlTry(args: string[], input?: string): RunResult {
  const r = spawnSync(KUBECTL, ['--kubeconfig', KUBECONFIG ?? '', ...args], {
    encoding: 'utf8',
    input,
    timeout: 60_000,
  });
  return {
    code: r.status ?? -1,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? String(r.error ?? ''),
  };
}

export function kubectl(args: string[], input?: string): string {
  const r = kubectlTry(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

export function getJson(args: string[]): Obj | undefined {
  const r = kubectlTry(['get', ...args, '-o', 'json', '--show-managed-fields']);
  if (r.code !== 0) return undefined;
  return JSON.parse(r.stdout) as Obj;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls fn until it returns a value that is not undefined/false; throws with `what` (and the last error) on timeout. */
export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastErr instanceof Error ? `: ${lastErr.message}` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}

export function ensureCrd(): void {
  kubectl(['apply', '-f', join(ROOT, 'crds/cdncluster.yaml')]);
  kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/cdnclusters.kubecdn.io']);
}

export function createNamespace(name: string): void {
  kubectl(['create', 'namespace', name]);
}

export function deleteNamespace(name: string): void {
  kubectlTry(['delete', 'namespace', name, '--wait=false']);
}

export interface OperatorProc {
  identity: string;
  child: ChildProcess;
  logs: () => string;
  /** Parsed pino lines. */
  lines: () => Obj[];
  exited: () => boolean;
  kill: (signal: NodeJS.Signals) => Promise<void>;
}

export interface OperatorOptions {
  identity: string;
  namespace: string; // POD_NAMESPACE (where the Lease lives)
  watchNamespace: string;
  leaseName: string;
  leaderElection?: boolean;
  leaseDurationMs?: number;
  leaseRenewMs?: number;
  /** Another identity than the suite's admin (serviceAccountKubeconfig: the chart's RBAC). */
  kubeconfig?: string;
}

const running = new Set<OperatorProc>();

export function startOperator(o: OperatorOptions): OperatorProc {
  let out = '';
  const child = spawn(process.execPath, [OPERATOR_MAIN], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KUBECONFIG: o.kubeconfig ?? KUBECONFIG ?? '',
      POD_NAME: o.identity,
      POD_NAMESPACE: o.namespace,
      WATCH_NAMESPACE: o.watchNamespace,
      LEADER_ELECTION: String(o.leaderElection ?? true),
      LEASE_NAME: o.leaseName,
      LEASE_DURATION_MS: String(o.leaseDurationMs ?? 4000),
      LEASE_RENEW_MS: String(o.leaseRenewMs ?? 1000),
      RESYNC_MS: '600000',
      HEALTH_PORT: '0',
      LOG_LEVEL: 'debug',
    },
  });
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  let exited = false;
  const exitP = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const p: OperatorProc = {
    identity: o.identity,
    child,
    logs: () => out,
    lines: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => {
          try {
            return JSON.parse(l) as Obj;
          } catch {
            return {};
          }
        }),
    exited: () => exited,
    kill: async (signal) => {
      if (!exited) child.kill(signal);
      await Promise.race([exitP, sleep(15_000)]);
      if (!exited) child.kill('SIGKILL');
      await exitP;
      running.delete(p);
    },
  };
  running.add(p);
  return p;
}

export async function stopAllOperators(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill('SIGTERM')));
}

export function cdnYaml(ns: string, name: string, spec: Obj): string {
  return JSON.stringify({
    apiVersion: 'kubecdn.io/v1alpha1',
    kind: 'CdnCluster',
    metadata: { name, namespace: ns },
    spec,
  });
}

// ---------------------------------------------------------------- kube-apiserver restart

function apiserverReady(env: Record<string, string>): boolean {
  const r = spawnSync(
    'curl',
    [
      '-fsS',
      '--max-time',
      '2',
      '--cacert',
      env.KUBECDN_API_CA_FILE ?? '',
      '-H',
      `Authorization: Bearer ${env.KUBECDN_API_TOKEN ?? ''}`,
      `${env.KUBECDN_API_URL ?? ''}/readyz`,
    ],
    { encoding: 'utf8' },
  );
  return r.status === 0 && r.stdout.trim() === 'ok';
}

function readEnv(dir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(dir, 'env'), 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/**
 * Stops only the kube-apiserver of the control plane in `dir` (SIGTERM, SIGKILL after 5 s; its pid from
 * DIR/kube-apiserver.pid) and
 * starts it again with the exact same command line (read from /proc), detached like start.sh does, logging to the
 * same file. Updates DIR/kube-apiserver.pid so stop.sh still finds it. Resolves once /readyz says ok again.
 */
export async function restartApiserver(dir: string, downMs = 2000): Promise<{ oldPid: number; newPid: number }> {
  const env = readEnv(dir);
  const pidFile = join(dir, 'kube-apiserver.pid');
  const oldPid = Number(readFileSync(pidFile, 'utf8').trim());
  const argv = readFileSync(`/proc/${oldPid}/cmdline`, 'utf8')
    .split('\0')
    .filter((a) => a !== '');
  if (!argv.some((a) => a.includes(dir))) throw new Error(`pid ${oldPid} is not this control plane's apiserver`);
  const t0 = Date.now();
  process.kill(oldPid, 'SIGTERM');
  // Gone, or a zombie (start.sh detached it, so its parent is whoever reaps orphans here, maybe nobody).
  const gone = (): boolean => {
    try {
      const stat = readFileSync(`/proc/${oldPid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
    } catch {
      return true;
    }
  };
  // A graceful apiserver shutdown waits ~60 s for open watches to drain: give it 5 s, then SIGKILL (a crash is
  // the harder case for the clients anyway).
  await waitFor('apiserver to exit on SIGTERM', gone, 5_000, 100).catch(() => process.kill(oldPid, 'SIGKILL'));
  await waitFor(`apiserver pid ${oldPid} to exit`, gone, 30_000, 100);
  const tExit = Date.now();
  await sleep(downMs);
  const log = openSync(join(dir, 'logs/kube-apiserver.log'), 'a');
  const [cmd, ...args] = argv;
  const child = spawn(cmd ?? '', args, {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  const newPid = child.pid ?? -1;
  writeFileSync(pidFile, `${newPid}\n`);
  await waitFor('restarted apiserver /readyz', () => apiserverReady(env), 90_000, 250);
  // Diagnostic only: where the time of a restart goes.
  console.log(
    `apiserver restart: exit after SIGTERM ${tExit - t0} ms, ready ${Date.now() - tExit - downMs} ms after respawn`,
  );
  return { oldPid, newPid };
}

export function ownerRefTo(obj: Obj, uid: string): boolean {
  const refs = (obj?.metadata?.ownerReferences ?? []) as Obj[];
  return refs.some((r) => r.uid === uid && r.kind === 'CdnCluster' && r.controller === true);
}

export function runBin(cmd: string, args: string[], input?: string): RunResult {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    input,
    timeout: 120_000,
    env: { ...process.env, KUBECONFIG: KUBECONFIG ?? '' },
  });
  return {
    code: r.status ?? -1,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? String(r.error ?? ''),
  };
}

export { execFileSync };

/**
 * A kubeconfig for a ServiceAccount (a token from the TokenRequest API) on the suite's API server: the operator run
 * with it has exactly the permissions the chart's RBAC gives.
 */
export function serviceAccountKubeconfig(namespace: string, name: string, file: string): string {
  const token = kubectl(['-n', namespace, 'create', 'token', name, '--duration=1h']).trim();
  const admin = parseYaml(readFileSync(KUBECONFIG ?? '', 'utf8')) as Obj;
  const cluster = (admin.clusters as Obj[])[0];
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [cluster],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: cluster?.name, user: name, namespace } }],
    'current-context': name,
  };
  writeFileSync(file, JSON.stringify(config));
  return file;
}
