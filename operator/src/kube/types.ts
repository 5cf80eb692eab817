// The reconciler's view of the API server. kube/client.ts implements it with @kubernetes/client-node; tests use
// an in-memory fake of this interface until the real API-server tests land (issue 7). No client-node types here.
import type { CdnCluster, CdnClusterStatus } from '../api/types.js';
import type { AppliedObject, ISecret } from '../desired/types.js';
import type { EventInput } from '../reconcile/events.js';
import type { ObservedState } from '../reconcile/observed.js';

export interface ObjectKey {
  readonly namespace: string;
  readonly name: string;
}

export interface ObjectRef extends ObjectKey {
  readonly apiVersion: string;
  readonly kind: string;
}

export type KubeErrorReason =
  'NotFound' | 'Conflict' | 'AlreadyExists' | 'Forbidden' | 'Invalid' | 'Unavailable' | 'Other';

/** Every failure of the API module, classified once by HTTP status (never by message text). */
export class KubeError extends Error {
  constructor(
    readonly reason: KubeErrorReason,
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KubeError';
  }

  static fromStatus(status: number | undefined, message: string, cause?: unknown): KubeError {
    return new KubeError(reasonOf(status), status, message, { cause });
  }
}

function reasonOf(status: number | undefined): KubeErrorReason {
  switch (status) {
    case 404:
      return 'NotFound';
    case 409:
      return 'Conflict';
    case 403:
      return 'Forbidden';
    case 400:
    case 422:
      return 'Invalid';
    case 429:
    case 500:
    case 503:
    case 504:
      return 'Unavailable';
    default:
      return 'Other';
  }
}

export function isKubeError(err: unknown, reason: KubeErrorReason): boolean {
  return err instanceof KubeError && err.reason === reason;
}

export interface KubeApi {
  /** The CdnCluster as stored (unparsed), or undefined when it is gone. */
  getCluster(key: ObjectKey): Promise<unknown>;
  /** Reads what the decisions need: StatefulSet, pods, claims, StorageClass, Redis, ServiceMonitor CRD. */
  observe(cluster: CdnCluster): Promise<ObservedState>;
  /** Server-side apply under the operator's field manager (force: the operator owns these fields). */
  apply(obj: AppliedObject): Promise<void>;
  /** Creates obj unless an object of that name exists; never updates. */
  createIfAbsent(obj: ISecret): Promise<'created' | 'exists'>;
  /** Objects labelled as owned by this cluster, of every kind the operator manages. */
  listOwned(cluster: CdnCluster): Promise<ObjectRef[]>;
  delete(ref: ObjectRef): Promise<void>;
  /** Sets a claim's storage request (volume expansion). */
  resizePvc(key: ObjectKey, size: string): Promise<void>;
  /** Writes the status subresource, guarded by the resourceVersion read (a conflict means: reconcile again). */
  patchStatus(cluster: CdnCluster, status: CdnClusterStatus): Promise<void>;
  event(cluster: CdnCluster, event: EventInput): Promise<void>;
}
