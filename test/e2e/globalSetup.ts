// Starts one real one-node cluster (test/cluster/start.sh) for test/e2e, or says in one line why it cannot.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    clusterEnv: Record<string, string>;
  }
}

const CLUSTER = resolve(import.meta.dirname, '../cluster');

/** Why this machine cannot run real pods, or undefined when it can. */
export function cannotRunPods(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (a network namespace, containerd and a kubelet need root)';
  for (const tool of ['containerd', 'runc', 'buildah', 'debootstrap', 'iptables', 'ipset', 'nsenter']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (scripts/test.sh installs it with apt-get where it can)`;
    }
  }
  return undefined;
}

export default function setup(project: TestProject): (() => void) | undefined {
  const why = cannotRunPods();
  if (why !== undefined) {
    console.log(`SKIPPED the end-to-end suite on a real cluster: ${why}`);
    project.provide('clusterEnv', {});
    return undefined;
  }
  // KUBECDN_CLUSTER_DIR: a cluster already started with test/cluster/start.sh (kept afterwards), for iterating.
  const given = process.env.KUBECDN_CLUSTER_DIR;
  const dir = given ?? mkdtempSync(join(tmpdir(), 'kubecdn-e2e-'));
  if (given === undefined) {
    execFileSync(join(CLUSTER, 'start.sh'), [dir], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, KUBECDN_CLUSTER_OWNER_PID: String(process.pid) },
      timeout: 60 * 60_000,
    });
  }
  const env: Record<string, string> = { KUBECDN_CLUSTER_DIR: dir };
  for (const line of readFileSync(join(dir, 'env'), 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  project.provide('clusterEnv', env);
  return () => {
    if (given !== undefined || process.env.KUBECDN_KEEP_CLUSTER === '1') return console.log(`kept the cluster in ${dir}`);
    execFileSync(join(CLUSTER, 'stop.sh'), [dir], { stdio: 'inherit', timeout: 120_000 });
  };
}
