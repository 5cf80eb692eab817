// Starts one real control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok) for test/k8s.
import type { TestProject } from 'vitest/node';
import { startControlPlane, stopControlPlane } from '../controlplane/controlplane.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    cpDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const cp = startControlPlane();
  process.env.KUBECONFIG = cp.kubeconfig; // inherited by the forked workers
  project.provide('kubeconfig', cp.kubeconfig);
  project.provide('cpDir', cp.dir);
  return () => stopControlPlane(cp);
}
