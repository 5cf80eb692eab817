// Lease-based leader election (coordination.k8s.io/v1). Only the holder reconciles; a replica that cannot renew
// before its Lease expires stops acting (onLost) so that two replicas never act at once. Writes carry the
// resourceVersion read, so two replicas racing for a free Lease get a 409 and only one wins.
import {
  CoordinationV1Api,
  V1MicroTime,
  type KubeConfig,
  type V1Lease,
  type V1LeaseSpec,
} from '@kubernetes/client-node';
import { decideLease, type LeaseAction, type LeaseView } from './leaseDecision.js';
import { orUndefined, toKubeError } from './errors.js';

export interface LeaderOptions {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewEveryMs: number;
}

export type LeaderState = 'follower' | 'leader' | 'stopped';

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private state: LeaderState = 'follower';
  private timer: NodeJS.Timeout | undefined;
  private lastRenewMs = 0;

  constructor(
    kc: KubeConfig,
    private readonly opts: LeaderOptions,
    private readonly hooks: { onStarted(): void; onLost(): void; log(obj: object, msg: string): void },
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
  }

  get current(): LeaderState {
    return this.state;
  }

  start(): void {
    void this.tick();
  }

  /** Stops campaigning and, when leading, releases the Lease so that another replica takes over at once. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    const wasLeader = this.state === 'leader';
    this.setState('stopped');
    if (!wasLeader) return;
    const lease = await orUndefined('read lease', () => this.read()).catch(() => undefined);
    if (lease?.spec?.holderIdentity !== this.opts.identity) return;
    lease.spec.holderIdentity = '';
    // A failed release only delays the next leader by one lease duration; say so rather than hide it.
    await this.api
      .replaceNamespacedLease({ ...this.key(), body: lease })
      .catch((err: unknown) => this.hooks.log({ err: toKubeError(err, 'lease').message }, 'lease release failed'));
  }

  private async tick(): Promise<void> {
    if (this.state === 'stopped') return;
    try {
      await this.campaign();
    } catch (err) {
      this.hooks.log({ err: toKubeError(err, 'lease').message }, 'lease attempt failed');
    }
    if (this.state === 'leader' && Date.now() - this.lastRenewMs > this.opts.leaseDurationMs) {
      this.setState('follower');
      this.hooks.onLost();
    }
    if (!this.isStopped()) this.timer = setTimeout(() => void this.tick(), this.opts.renewEveryMs);
  }

  private async campaign(): Promise<void> {
    const lease = await orUndefined('read lease', () => this.read());
    const d = decideLease(lease === undefined ? undefined : toLeaseView(lease), this.opts.identity, Date.now());
    if (d.action === 'wait') return;
    await this.write(d, lease);
    this.lastRenewMs = Date.now();
    if (this.state !== 'leader') {
      this.setState('leader');
      this.hooks.onStarted();
    }
  }

  /** Create, renew or take over. A replace carries the resourceVersion read: a replica racing this one gets 409. */
  private async write(d: Exclude<LeaseAction, { action: 'wait' }>, lease: V1Lease | undefined): Promise<void> {
    const spec = this.nextSpec(d, lease?.spec);
    if (d.action === 'create') {
      await this.api.createNamespacedLease({
        namespace: this.opts.namespace,
        body: { metadata: { name: this.opts.name, namespace: this.opts.namespace }, spec },
      });
    } else {
      await this.api.replaceNamespacedLease({ ...this.key(), body: { ...lease, spec } });
    }
  }

  private nextSpec(d: Exclude<LeaseAction, { action: 'wait' }>, current: V1LeaseSpec | undefined): V1LeaseSpec {
    const now = new V1MicroTime();
    return {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.ceil(this.opts.leaseDurationMs / 1000),
      renewTime: now,
      acquireTime: d.action === 'renew' ? current?.acquireTime : now,
      leaseTransitions: d.action === 'takeover' ? d.transitions : (current?.leaseTransitions ?? 0),
    };
  }

  /** Read through a method: stop() may run while a campaign awaits. */
  private isStopped(): boolean {
    return this.state === 'stopped';
  }

  private read(): Promise<V1Lease> {
    return this.api.readNamespacedLease(this.key());
  }

  private key(): { namespace: string; name: string } {
    return { namespace: this.opts.namespace, name: this.opts.name };
  }

  private setState(next: LeaderState): void {
    if (next === this.state) return;
    this.hooks.log({ from: this.state, to: next, identity: this.opts.identity }, 'leader election state');
    this.state = next;
  }
}

/** The Lease as decideLease reads it. */
function toLeaseView(lease: V1Lease): LeaseView {
  const spec = lease.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity,
    renewTimeMs: spec.renewTime === undefined ? undefined : new Date(spec.renewTime).getTime(),
    leaseDurationSeconds: spec.leaseDurationSeconds,
    leaseTransitions: spec.leaseTransitions,
  };
}
