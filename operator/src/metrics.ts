// The operator's own Prometheus metrics, served on its health port at /metrics: passes by result and their duration,
// the work queue's depth, and whether this replica leads. Standard process/nodejs metrics beside them.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ReconcileResult } from './reconcile/reconciler.js';

export interface OperatorMetrics {
  readonly registry: Registry;
  readonly reconciles: Counter<'result'>;
  readonly reconcileSeconds: Histogram;
  readonly queueDepth: Gauge;
  readonly leader: Gauge;
}

export function createOperatorMetrics(queueDepth: () => number): OperatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const metrics: OperatorMetrics = {
    registry,
    reconciles: new Counter({
      name: 'kubecdn_operator_reconciles_total',
      help: 'Reconcile passes by result: success, requeue (something under way, looked at again soon) or error (backoff)',
      labelNames: ['result'] as const,
      registers,
    }),
    reconcileSeconds: new Histogram({
      name: 'kubecdn_operator_reconcile_duration_seconds',
      help: 'Time of one reconcile pass',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'kubecdn_operator_queue_depth',
      help: 'CdnClusters waiting for or in a reconcile pass',
      registers,
      collect() {
        this.set(queueDepth());
      },
    }),
    leader: new Gauge({
      name: 'kubecdn_operator_leader',
      help: '1 while this replica holds the leader Lease (and so reconciles)',
      registers,
    }),
  };
  for (const result of ['success', 'requeue', 'error']) metrics.reconciles.inc({ result }, 0);
  metrics.leader.set(0);
  return metrics;
}

/** The worker, counted and timed. */
export function instrumented(
  worker: (key: string) => Promise<ReconcileResult>,
  m: Pick<OperatorMetrics, 'reconciles' | 'reconcileSeconds'>,
): (key: string) => Promise<ReconcileResult> {
  return async (key) => {
    const end = m.reconcileSeconds.startTimer();
    try {
      const r = await worker(key);
      m.reconciles.inc({ result: r.requeueAfterMs === undefined ? 'success' : 'requeue' });
      return r;
    } catch (err) {
      m.reconciles.inc({ result: 'error' });
      throw err;
    } finally {
      end();
    }
  };
}
