// 10: the chart lints and its rendered manifests pass server-side dry-run against the real apiserver.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureCrd, HAVE_CP, kubectl, kubectlTry, ROOT, runBin } from './helpers.js';
import { readControlPlaneEnv } from '../controlplane/controlplane.js';
import { CP_DIR } from './helpers.js';

describe.skipIf(!HAVE_CP)('helm chart against a real apiserver', () => {
  let helm = '';
  beforeAll(() => {
    ensureCrd();
    helm = join(readControlPlaneEnv(CP_DIR ?? '').KUBECDN_K8S_BIN ?? '', 'helm');
  });

  it('helm lint passes', () => {
    const r = runBin(helm, ['lint', join(ROOT, 'charts/kubecdn')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('helm template | kubectl apply --dry-run=server succeeds', () => {
    // helm template alone assumes Kubernetes v1.20 (the chart needs >=1.30): render for the live server's version.
    const server = JSON.parse(kubectl(['version', '-o', 'json'])) as {
      serverVersion: { gitVersion: string };
    };
    const t = runBin(helm, [
      'template',
      'kubecdn',
      join(ROOT, 'charts/kubecdn'),
      '--namespace',
      'default',
      '--kube-version',
      server.serverVersion.gitVersion,
    ]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/kind: Deployment/);
    const r = kubectlTry(['apply', '--dry-run=server', '-f', '-'], t.stdout);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/deployment\.apps\/\S+ created \(server dry run\)/);
  });
});
