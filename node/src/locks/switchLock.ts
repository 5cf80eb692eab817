// The writer's lock, switchable once: Ricart-Agrawala needs the cluster (membership, peers), which exists only after
// the node listens. Until then (and standalone) writes use the in-process lock.
import type { AcquireOptions, Held, WriteLock } from './types.js';

export class SwitchLock implements WriteLock {
  constructor(private target: WriteLock) {}

  get mode(): string {
    return this.target.mode;
  }

  use(target: WriteLock): void {
    this.target = target;
  }

  acquire(name: string, opts?: AcquireOptions): Promise<Held> {
    return this.target.acquire(name, opts);
  }
}
