// What the API server receives when the operator applies its desired objects: the body @kubernetes/client-node
// serializes, captured by a real HTTP server standing in for the API server. client-node drops any key its models do
// not name (V1NetworkPolicyIngressRule calls `from` `_from`), which once sent NetworkPolicies without their `from`
// (every source admitted); the control shows the library still does that to an object applied as it is built.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { desiredObjects, type AppliedObject } from '../../operator/src/desired/index.js';
import { ClientKube } from '../../operator/src/kube/client.js';
import { cluster } from './helpers.js';

const PLURALS: Record<string, string> = {
  ConfigMap: 'configmaps', Secret: 'secrets', Service: 'services', PersistentVolumeClaim: 'persistentvolumeclaims',
  StatefulSet: 'statefulsets',
  Deployment: 'deployments', PodDisruptionBudget: 'poddisruptionbudgets', Ingress: 'ingresses',
  NetworkPolicy: 'networkpolicies', ServiceMonitor: 'servicemonitors',
};

/** Answers API discovery for the kinds above and records every PATCH body. */
function fakeApiServer(bodies: Record<string, unknown>[]): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      if (req.method === 'PATCH') {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
        bodies.push(body);
        return res.end(JSON.stringify(body));
      }
      const resources = Object.entries(PLURALS).map(([kind, name]) => ({ name, kind, namespaced: true, verbs: ['patch'] }));
      res.end(JSON.stringify({ kind: 'APIResourceList', groupVersion: req.url, resources }));
    });
  });
}

describe('applied objects reach the API server as built', () => {
  const bodies: Record<string, unknown>[] = [];
  const server = fakeApiServer(bodies);
  const kc = new KubeConfig();
  const objs = desiredObjects(
    cluster('c', {
      networkPolicy: { ingressFrom: [{ namespaceSelector: { matchLabels: { team: 'edge' } } }] },
      ingress: { enabled: true },
    }),
    { defaultImage: 'img' },
    { statefulSetReplicas: 3, volumeClaimTemplate: { size: '10Gi' }, serviceMonitorAvailable: true },
    () => 't',
  ).apply;
  const json = (o: AppliedObject): unknown => JSON.parse(JSON.stringify(o));

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const server_ = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: server_, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('every object, NetworkPolicies with their `from`', async () => {
    bodies.length = 0;
    const kube = new ClientKube(kc);
    for (const o of objs) await kube.apply(o);
    expect(bodies).toEqual(objs.map(json));
    const np = bodies.find((b) => b.kind === 'NetworkPolicy') as { spec: { ingress: { from: unknown[] }[] } };
    expect(np.spec.ingress[0]!.from.length).toBeGreaterThan(0);
  });

  test('control: client-node itself drops the `from` of a NetworkPolicy applied as built', async () => {
    bodies.length = 0;
    const np = objs.find((o) => o.kind === 'NetworkPolicy')!;
    await KubernetesObjectApi.makeApiClient(kc).patch(np as KubernetesObject, undefined, undefined, 'm', true, PatchStrategy.ServerSideApply);
    const sent = bodies[0] as { spec: { ingress: Record<string, unknown>[] } };
    expect(sent.spec.ingress[0]).not.toHaveProperty('from');
  });
});
