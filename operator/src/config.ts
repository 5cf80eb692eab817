// The only reader of process.env for the operator. Every problem is reported together, then the result is frozen.
import { hostname } from 'node:os';
import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const schema = z.object({
  WATCH_NAMESPACE: z.string().default(''),
  DEFAULT_NODE_IMAGE: z.string().min(1).default('kubecdn:latest'),
  POD_NAME: z.string().min(1).default(hostname()),
  POD_NAMESPACE: z.string().min(1).default('default'),
  LEADER_ELECTION: bool.default(true),
  LEASE_NAME: z.string().min(1).default('kubecdn-operator-leader'),
  LEASE_DURATION_MS: z.coerce.number().int().min(2000).default(15_000),
  LEASE_RENEW_MS: z.coerce.number().int().min(500).default(5_000),
  RESYNC_MS: z.coerce
    .number()
    .int()
    .min(10_000)
    .default(10 * 60_000),
  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface OperatorConfig {
  readonly watchNamespace: string;
  readonly defaultNodeImage: string;
  readonly identity: string;
  readonly namespace: string;
  readonly leaderElection: boolean;
  readonly leaseName: string;
  readonly leaseDurationMs: number;
  readonly leaseRenewMs: number;
  readonly resyncMs: number;
  readonly healthPort: number;
  readonly logLevel: string;
}

export class OperatorConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid operator configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'OperatorConfigError';
  }
}

export function loadOperatorConfig(env: NodeJS.ProcessEnv): OperatorConfig {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const r = schema.safeParse(clean);
  if (!r.success) throw new OperatorConfigError(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const e = r.data;
  if (e.LEASE_RENEW_MS >= e.LEASE_DURATION_MS) {
    throw new OperatorConfigError(['LEASE_RENEW_MS: must be shorter than LEASE_DURATION_MS']);
  }
  return Object.freeze({
    watchNamespace: e.WATCH_NAMESPACE,
    defaultNodeImage: e.DEFAULT_NODE_IMAGE,
    identity: e.POD_NAME,
    namespace: e.POD_NAMESPACE,
    leaderElection: e.LEADER_ELECTION,
    leaseName: e.LEASE_NAME,
    leaseDurationMs: e.LEASE_DURATION_MS,
    leaseRenewMs: e.LEASE_RENEW_MS,
    resyncMs: e.RESYNC_MS,
    healthPort: e.HEALTH_PORT,
    logLevel: e.LOG_LEVEL,
  });
}
