// desiredObjects(cluster, config, plan): everything one CdnCluster should own, built from the spec alone plus the
// decisions in plan. Pure: no I/O, no clock; randomness only through the token source. Golden-tested.
import type { CdnCluster } from '../api/types.js';
import { configMap, ingress, podDisruptionBudget, serviceMonitor } from './extras.js';
import { networkPolicies } from './networkPolicies.js';
import { redisObjects } from './redis.js';
import { generatedSecrets, type TokenSource } from './secrets.js';
import { clientService, headlessService } from './services.js';
import { statefulSet } from './statefulSet.js';
import type { AppliedObject, Desired, DesiredConfig, Plan } from './types.js';

export function desiredObjects(cluster: CdnCluster, config: DesiredConfig, plan: Plan, token: TokenSource): Desired {
  const apply: (AppliedObject | undefined)[] = [
    configMap(cluster),
    ...redisObjects(cluster),
    headlessService(cluster),
    clientService(cluster),
    statefulSet(cluster, config, plan),
    podDisruptionBudget(cluster),
    ingress(cluster),
    serviceMonitor(cluster, plan),
    ...networkPolicies(cluster),
  ];
  return {
    createOnly: generatedSecrets(cluster, token),
    apply: apply.filter((o): o is AppliedObject => o !== undefined),
  };
}

export type { AppliedObject, Desired, DesiredConfig, Plan, TokenSource };
