// Wiring only: config, logger, API client, health server, leader election, informers → work queue → reconcile.
// SIGTERM/SIGINT: stop the informers, let the pass in flight finish, release the Lease, exit 0.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { loadOperatorConfig, OperatorConfigError, type OperatorConfig } from './config.js';
import { ClientKube } from './kube/client.js';
import { Informers } from './kube/informers.js';
import { LeaderElector } from './kube/leader.js';
import { createOperatorMetrics, instrumented, type OperatorMetrics } from './metrics.js';
import { WorkQueue } from './reconcile/queue.js';
import { reconcile } from './reconcile/reconciler.js';

function main(): void {
  const cfg = configOrExit();
  const log = pino({ level: cfg.logLevel, base: { component: 'operator', identity: cfg.identity } });
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const kube = new ClientKube(kc);
  // Read only on a scrape, after the queue exists.
  const metrics = createOperatorMetrics(() => queue.size);
  const queue = reconcileQueue(kube, cfg.defaultNodeImage, log, metrics);
  const work = new LeaderWork({ kc, kube, queue, cfg, log, metrics });
  const elector = cfg.leaderElection ? leaderElector(kc, cfg, log, () => work.start()) : undefined;
  const health = healthServer(metrics, () => work.ready());
  health.listen(cfg.healthPort);
  stopOnSignals(log, async () => {
    await work.stop();
    await queue.stop();
    await elector?.stop();
    health.close();
  });
  if (elector === undefined) work.start();
  else elector.start();
}

/** The configuration, or exit 2 with every problem listed. */
function configOrExit(): OperatorConfig {
  try {
    return loadOperatorConfig(process.env);
  } catch (err) {
    if (err instanceof OperatorConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

function reconcileQueue(kube: ClientKube, defaultImage: string, log: Logger, metrics: OperatorMetrics): WorkQueue {
  const deps = {
    kube,
    config: { defaultImage },
    token: () => randomBytes(32).toString('base64url'),
    now: () => new Date(),
    log,
  };
  return new WorkQueue(
    instrumented((key) => {
      const [namespace = '', name = ''] = key.split('/');
      return reconcile({ namespace, name }, deps);
    }, metrics),
    { onError: (key, err, retryInMs) => log.warn({ key, err: String(err), retryInMs }, 'reconcile failed') },
  );
}

interface LeaderWorkDeps {
  readonly kc: KubeConfig;
  readonly kube: ClientKube;
  readonly queue: WorkQueue;
  readonly cfg: OperatorConfig;
  readonly log: Logger;
  readonly metrics: OperatorMetrics;
}

/** What only the leader runs: the informers that feed the queue, and the periodic resync. Idle until start(). */
class LeaderWork {
  private readonly informers: Informers;
  private leading = false;
  private resync: NodeJS.Timeout | undefined;

  constructor(private readonly d: LeaderWorkDeps) {
    this.informers = new Informers(
      d.kc,
      d.cfg.watchNamespace,
      {
        onKey: (key) => d.queue.add(key),
        onServiceMonitorCrd: () => void this.resyncAll('ServiceMonitor CRD changed'),
      },
      d.log,
    );
  }

  start(): void {
    this.leading = true;
    this.d.metrics.leader.set(1);
    this.d.log.info({}, 'leading: starting informers');
    void this.informers.start();
    this.resync = setInterval(() => void this.resyncAll('periodic'), this.d.cfg.resyncMs);
  }

  /** A follower is ready as it is; a leader once its informers run. */
  ready(): boolean {
    return !this.leading || this.informers.running();
  }

  async stop(): Promise<void> {
    if (this.resync !== undefined) clearInterval(this.resync);
    await this.informers.stop().catch(() => undefined);
  }

  // Every CdnCluster into the queue: the periodic resync (drift, missed events), and when the ServiceMonitor CRD
  // comes or goes.
  private async resyncAll(why: string): Promise<void> {
    const { kube, cfg, log, queue } = this.d;
    const list = await kube.listClusterKeys(cfg.watchNamespace).catch((err: unknown) => {
      log.warn({ err: String(err), why }, 'resync: listing CdnClusters failed; the next resync tries again');
      return [] as string[];
    });
    log.debug({ why, clusters: list.length }, 'resync');
    for (const k of list) queue.add(k);
  }
}

function leaderElector(kc: KubeConfig, cfg: OperatorConfig, log: Logger, onStarted: () => void): LeaderElector {
  return new LeaderElector(
    kc,
    {
      namespace: cfg.namespace,
      name: cfg.leaseName,
      identity: cfg.identity,
      leaseDurationMs: cfg.leaseDurationMs,
      renewEveryMs: cfg.leaseRenewMs,
    },
    {
      onStarted,
      onLost: () => {
        // Never two actors: a replica that lost its Lease stops at once; Kubernetes restarts it as a follower.
        log.error({}, 'leadership lost: exiting');
        process.exit(1);
      },
      log: (obj, msg) => log.info(obj, msg),
    },
  );
}

/** /healthz (alive), /readyz (ready()), /metrics. */
function healthServer(metrics: OperatorMetrics, ready: () => boolean): Server {
  return createServer((req, res) => {
    if (req.url === '/metrics') {
      void metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    const ok = req.url === '/healthz' || (req.url === '/readyz' && ready());
    res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
  });
}

/** SIGTERM/SIGINT: stop once, then exit 0. */
function stopOnSignals(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await stop();
    log.info({}, 'stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main();
