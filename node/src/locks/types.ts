// The seam where write serialization plugs in. This issue ships the in-process lock; the cluster-wide modes
// (Redis lease with fencing, Ricart-Agrawala) implement the same interface.

export interface Held {
  /** Fencing token of this hold (0 where the mode has none: the commit's compare-and-set still orders writes). */
  readonly fence: number;
  release(): void;
}

export interface WriteLock {
  readonly mode: string;
  acquire(name: string): Promise<Held>;
}
