// Wiring only: config, logger, API client, health server, leader election, informers → work queue → reconcile.
// SIGTERM/SIGINT: stop the informers, let the pass in flight finish, release the Lease, exit 0.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { loadOperatorConfig, OperatorConfigError } from './config.js';
import { ClientKube } from './kube/client.js';
import { Informers } from './kube/informers.js';
import { LeaderElector } from './kube/leader.js';
import { createOperatorMetrics, instrumented } from './metrics.js';
import { WorkQueue } from './reconcile/queue.js';
import { reconcile } from './reconcile/reconciler.js';

function main(): void {
  let cfg;
  try {
    cfg = loadOperatorConfig(process.env);
  } catch (err) {
    if (err instanceof OperatorConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = pino({ level: cfg.logLevel, base: { component: 'operator', identity: cfg.identity } });
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const kube = new ClientKube(kc);
  const deps = {
    kube,
    config: { defaultImage: cfg.defaultNodeImage },
    token: () => randomBytes(32).toString('base64url'),
    now: () => new Date(),
    log,
  };
  // Read only on a scrape, after the queue exists.
  const metrics = createOperatorMetrics(() => queue.size);
  const queue = new WorkQueue(
    instrumented((key) => {
      const [namespace = '', name = ''] = key.split('/');
      return reconcile({ namespace, name }, deps);
    }, metrics),
    { onError: (key, err, retryInMs) => log.warn({ key, err: String(err), retryInMs }, 'reconcile failed') },
  );
  // Every CdnCluster into the queue: the periodic resync (drift, missed events), and when the ServiceMonitor CRD
  // comes or goes.
  const resyncAll = async (why: string): Promise<void> => {
    const list = await kube.listClusterKeys(cfg.watchNamespace).catch((err: unknown) => {
      log.warn({ err: String(err), why }, 'resync: listing CdnClusters failed; the next resync tries again');
      return [] as string[];
    });
    log.debug({ why, clusters: list.length }, 'resync');
    for (const k of list) queue.add(k);
  };
  const informers = new Informers(
    kc,
    cfg.watchNamespace,
    {
      onKey: (key) => queue.add(key),
      onServiceMonitorCrd: () => void resyncAll('ServiceMonitor CRD changed'),
    },
    log,
  );
  let resync: NodeJS.Timeout | undefined;
  let leading = false;

  const startLeading = (): void => {
    leading = true;
    metrics.leader.set(1);
    log.info({}, 'leading: starting informers');
    void informers.start();
    resync = setInterval(() => void resyncAll('periodic'), cfg.resyncMs);
  };
  const elector = cfg.leaderElection
    ? new LeaderElector(
        kc,
        {
          namespace: cfg.namespace,
          name: cfg.leaseName,
          identity: cfg.identity,
          leaseDurationMs: cfg.leaseDurationMs,
          renewEveryMs: cfg.leaseRenewMs,
        },
        {
          onStarted: startLeading,
          onLost: () => {
            // Never two actors: a replica that lost its Lease stops at once; Kubernetes restarts it as a follower.
            log.error({}, 'leadership lost: exiting');
            process.exit(1);
          },
          log: (obj, msg) => log.info(obj, msg),
        },
      )
    : undefined;

  const health = createServer((req, res) => {
    if (req.url === '/metrics') {
      void metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    const ok = req.url === '/healthz' || (req.url === '/readyz' && (!leading || informers.running()));
    res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
  });
  health.listen(cfg.healthPort);

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    if (resync !== undefined) clearInterval(resync);
    await informers.stop().catch(() => undefined);
    await queue.stop();
    await elector?.stop();
    health.close();
    log.info({}, 'stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  if (elector === undefined) startLeading();
  else elector.start();
}

main();
