// Node-side handle on the local, Docker-free Kubernetes control plane of test/controlplane (issue 7):
// build.sh builds the binaries once into a cache outside the repo, start.sh/stop.sh run and remove one.
// Synchronous on purpose: meant for a vitest globalSetup (see README.md in this folder).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
// Run from source (vitest) the scripts sit beside this file; from dist/, go back to the source tree.
const SCRIPTS = existsSync(join(HERE, 'start.sh')) ? HERE : resolve(HERE, '../../../test/controlplane');

export interface ControlPlane {
  /** State dir: certs, etcd data, logs/, *.pid. Removed by stopControlPlane. */
  dir: string;
  /** Admin kubeconfig (token in group system:masters). */
  kubeconfig: string;
  apiUrl: string;
  token: string;
  caFile: string;
  /** Everything start.sh wrote to DIR/env (KUBECONFIG, KUBECDN_*). */
  env: Record<string, string>;
}

export interface StartOptions {
  /** State dir to use; default a new temp dir. */
  dir?: string;
  /** Run kube-scheduler + kwok (fake node, pods go Ready). Default: whatever start.sh defaults to (on if built). */
  kwok?: boolean;
  /** Tear the control plane down by itself once this pid exits (default: this process). */
  ownerPid?: number;
  /** Forwarded to start.sh as KUBECDN_CP_TIMEOUT (seconds). */
  readyTimeoutSeconds?: number;
}

/** Builds the binaries if they are not cached yet (minutes the first time, instant after); returns the bin dir. */
export function buildControlPlane(): string {
  const out = execFileSync(join(SCRIPTS, 'build.sh'), [], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 60 * 60 * 1000,
  });
  return out.trim().split('\n').pop() ?? '';
}

export function readControlPlaneEnv(dir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(dir, 'env'), 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

export function startControlPlane(opts: StartOptions = {}): ControlPlane {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'kubecdn-cp-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KUBECDN_CP_OWNER_PID: String(opts.ownerPid ?? process.pid),
  };
  if (opts.kwok !== undefined) env.KUBECDN_CP_KWOK = opts.kwok ? '1' : '0';
  if (opts.readyTimeoutSeconds !== undefined) env.KUBECDN_CP_TIMEOUT = String(opts.readyTimeoutSeconds);
  const out = execFileSync(join(SCRIPTS, 'start.sh'), [dir], {
    encoding: 'utf8',
    env,
    // stderr carries progress and, on failure, the components' last log lines.
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 70 * 60 * 1000, // includes a first-time build
  });
  const kubeconfig = out.trim().split('\n').pop() ?? '';
  const cpEnv = readControlPlaneEnv(dir);
  return {
    dir,
    kubeconfig,
    apiUrl: cpEnv.KUBECDN_API_URL ?? '',
    token: cpEnv.KUBECDN_API_TOKEN ?? '',
    caFile: cpEnv.KUBECDN_API_CA_FILE ?? '',
    env: cpEnv,
  };
}

/** Stops every component and removes the state dir (set KUBECDN_KEEP_STATE=1 to keep it). */
export function stopControlPlane(cp: ControlPlane | string): void {
  const dir = typeof cp === 'string' ? cp : cp.dir;
  execFileSync(join(SCRIPTS, 'stop.sh'), [dir], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 60_000,
  });
}
