// The seam where write serialization plugs in: every write path holds the per-name lock around its commit.
// Modes: redis (lease + fencing, also behind the lock API), ricart-agrawala (among live members; locks/ricartAgrawala.ts), local (in-process only).

export interface Held {
  /** Fencing token of this hold; the commit refuses one older than the last committed for the name (0: none). */
  readonly fence: number;
  /** The lease token the commit checks against a lock-API holder (undefined: this mode takes no lease). */
  readonly token?: string | undefined;
  /**
   * The commit ends this hold's lease itself (redis write leases): the commit script deletes it and announces the
   * release in the same atomic step, which saves the write a Redis round trip (and, with appendfsync always, an
   * fsync of Redis' append-only file) after every commit.
   */
  readonly endsWithCommit?: boolean | undefined;
  /** `leaseEnded`: a commit that ended the lease (endsWithCommit) succeeded; only what is local is left to let go. */
  release(leaseEnded?: boolean): void;
  /** What AcquireOptions.readAlong asked for, read in the same atomic step that took the lease (redis write leases). */
  readonly readAlong?: ReadAlong | undefined;
}

/** Fields as Redis holds them (null: absent): the name's file hash, and the content index entry when asked. */
export interface ReadAlong {
  readonly file: readonly [count: string | null, head: string | null];
  readonly content?: readonly [name: string | null, version: string | null] | undefined;
}

export interface AcquireOptions {
  /** a lock-API token carried by the request (X-Lock-Token) */
  readonly token?: string | undefined;
  /** how long to wait behind a lock-API holder before 423 (?waitMs=) */
  readonly waitMs?: number | undefined;
  /**
   * Read the name's state (and, with a digest, that content's first owner) along with the lease, where the lease is
   * taken in Redis: the write's state read then costs no round trip of its own (Held.readAlong).
   */
  readonly readAlong?: { readonly sha256?: string | undefined } | undefined;
}

export interface LockInfo {
  readonly holder: string;
  readonly kind: string;
  readonly expiresAt: number;
}

/** A lease in Redis as its acquire granted it. */
export interface Lease {
  readonly token: string;
  readonly fence: number;
  readonly expiresAt: number;
  /** AcquireOptions.readAlong's answer (see Held.readAlong) */
  readonly readAlong?: ReadAlong | undefined;
}

/**
 * A lease's first try that may also commit the write (MetadataStore.commitUnleased): given the token, ttl and holder
 * to take the lease with, it answers { done } when the write committed (no lease remains), else what a lease's
 * acquire would: the lease (with the name's state), or who holds it.
 */
export type FirstTry<T> = (token: string, lease: { readonly ttlMs: number; readonly holder: string }) => Promise<Lease | LockInfo | { done: T }>;

export interface WriteLock {
  readonly mode: string;
  acquire(name: string, opts?: AcquireOptions): Promise<Held>;
  /**
   * Where the lock is a lease in Redis: acquire, with `first` as the first try when no other write of this node waits
   * for the name, so that an uncontended write takes its lease and commits in one step (one Redis round trip).
   */
  acquireOrCommit?<T>(name: string, opts: AcquireOptions, first: FirstTry<T>): Promise<{ held: Held } | { done: T }>;
}
