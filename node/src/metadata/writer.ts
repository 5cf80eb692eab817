// The write path: take the per-name lock, read the state, decide (pure), commit (compare-and-set), retry when
// another process got there first. Blob bytes are already on disk before this runs, so a crash anywhere leaves
// either no version or a complete one.
import { LRUCache } from 'lru-cache';
import { apiError, type ApiError } from '../errors.js';
import type { AcquireOptions, Held, WriteLock } from '../locks/types.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { stateFromFields, type CommitResult, type MetadataStore } from './store.js';
import type { EventName, FileState, VersionRecord } from './types.js';
import { decide, type Decision, type DedupPolicy, type Intent } from './versionRules.js';

const MAX_ATTEMPTS = 50;
// The pending lease on a write's content, renewed every third of it: a crashed writer's lease lapses within this.
const PENDING_LEASE_MS = 30_000;

/**
 * How long a write goes without a pending lease on its content (pure). Garbage collection never looks at a blob
 * younger than GC_GRACE_MS (its mtime: when the upload landed, or a copy was pushed or refreshed), so a write that
 * commits within that needs no lease at all; one that waits longer (behind a lock, for replication) takes it after a
 * quarter of the grace period at most, and never later than its first renewal would be. Nearly every write commits
 * in milliseconds: the SET was one of five Redis commands per 1 KiB PUT (and, with appendfsync always, one more
 * write to Redis' append-only file). GC_GRACE_MS is one setting for the whole cluster (the chart, the operator).
 */
export const pendingLeaseDelayMs = (gcGraceMs: number): number => Math.min(Math.floor(gcGraceMs / 4), PENDING_LEASE_MS / 3);

const DONE: Promise<void> = Promise.resolve();

/** A promise awaited later than it may settle: its rejection reaches whoever awaits it, not the process. */
function awaitedLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** One hold of the lock, as the attempts under it see it. */
interface Hold {
  readonly held: Held;
  readonly lockOpts: AcquireOptions;
  /** what must be true before anything references the blob (see apply) */
  readonly ready: Promise<unknown>;
  /** the probe's critical section (probedSection) */
  readonly section: { enter(): Promise<void>; exit(): Promise<void> };
}

type Committable = Extract<Decision, { action: 'commit' }>;

export type WriteOutcome =
  | { readonly kind: 'committed'; readonly record: VersionRecord; readonly event: EventName; readonly eventId: string }
  | { readonly kind: 'unchanged'; readonly head: VersionRecord };

export interface WriterOptions {
  readonly policy: DedupPolicy;
  readonly nodeId: string;
  /** Called after every commit, before the client hears of it: drops cached heads here and on every member. */
  readonly onCommitted: (name: string) => Promise<void>;
  /** Puts a new blob on its home nodes before its first version commits (the cluster); absent standalone. */
  readonly replicate?: ((sha256: string, size: number) => Promise<unknown>) | undefined;
  /** pendingLeaseDelayMs(GC_GRACE_MS); 0 (the default): the lease is taken at once */
  readonly pendingAfterMs?: number | undefined;
  /**
   * Test instrumentation (LOCK_PROBE=1), off in production: wraps each critical section so tests can observe mutual
   * exclusion directly, from outside, across processes.
   */
  readonly probe?: { enter(name: string): Promise<void>; exit(name: string): Promise<void> } | undefined;
  readonly log?: Logger | undefined;
}

/** Names whose last version this node committed, kept: the guess an upload's one-step commit is decided on. */
const LAST_COMMITTED_MAX = 4096;

export class Writer {
  private readonly lastCommitted = new LRUCache<string, VersionRecord>({ max: LAST_COMMITTED_MAX });

  constructor(
    private readonly store: MetadataStore,
    private readonly lock: WriteLock,
    private readonly metrics: Metrics,
    private readonly opts: WriterOptions,
  ) {}

  /**
   * Applies one write, revert or delete. Throws ApiError when the rules refuse it. `stored` is the upload's blob
   * being linked into the store (BlobStore.receive): the lease, the lock and the state read go ahead meanwhile, and
   * nothing references the blob (replication, the commit) before it resolves.
   */
  async apply(name: string, intent: Intent, lockOpts: AcquireOptions = {}, stored: Promise<unknown> = DONE): Promise<WriteOutcome> {
    if (intent.kind !== 'write') return this.applyHeld(name, intent, lockOpts, DONE);
    // The uploaded blob is not referenced until the commit: a lease keeps every node's garbage collection off it for
    // as long as this write waits (for replication, for the lock), however long that is; GC_GRACE_MS covers it until
    // the lease is taken (pendingLeaseDelayMs). Taken at once, it goes alongside the lock: Redis then fsyncs both
    // in one turn (appendfsync always), and the commit waits for it.
    const pending = this.keepPending(intent.sha256);
    try {
      return await this.applyHeld(name, intent, lockOpts, awaitedLater(Promise.all([stored, pending.taken])));
    } finally {
      pending.stop();
      // An answer that needed no blob (unchanged, refused) still waits for it: nothing of the upload outlives it.
      await stored.catch(() => undefined);
    }
  }

  /**
   * `taken`: the first lease when it is taken at once (pendingAfterMs 0), else settled already. A delayed lease is
   * renewed at the same delay, so one that failed is tried again well inside the grace period.
   */
  private keepPending(sha256: string): { taken: Promise<void>; stop(): void } {
    const mark = (): Promise<void> => this.store.markPending(sha256, PENDING_LEASE_MS);
    const renew = (): void => void mark().catch((err: unknown) => this.opts.log?.warn({ sha256, err: (err as Error).message }, 'pending lease not taken'));
    const after = this.opts.pendingAfterMs ?? 0;
    if (after === 0) {
      const renewals = setInterval(renew, PENDING_LEASE_MS / 3).unref();
      return { taken: mark(), stop: () => clearInterval(renewals) };
    }
    let renewals: NodeJS.Timeout | undefined;
    const first = setTimeout(() => {
      renew();
      renewals = setInterval(renew, after).unref();
    }, after).unref();
    return {
      taken: DONE,
      stop: () => {
        clearTimeout(first);
        clearInterval(renewals);
      },
    };
  }

  /** `ready`: what must be true before anything references the blob (see apply). */
  private async applyHeld(name: string, intent: Intent, lockOpts: AcquireOptions, ready: Promise<unknown>): Promise<WriteOutcome> {
    if (intent.kind === 'write') await this.replicated(intent, ready);
    // the state is read with the lease where the lock can (Redis leases): the first attempt needs no read of its own
    const readAlong = intent.kind === 'write' ? { sha256: intent.sha256 } : {};
    const got = await this.take(name, intent, { ...lockOpts, readAlong }, ready);
    if ('done' in got && got.done !== 'conflict') return got.done;
    const held = 'held' in got ? got.held : await this.lock.acquire(name, { ...lockOpts, readAlong });
    const stopHold = this.metrics.lockHoldSeconds.startTimer({ mode: this.lock.mode });
    const section = this.probedSection(name);
    await section.enter();
    let committed = false;
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const outcome = await this.attempt(name, intent, { held, lockOpts, ready, section }, attempt === 0 ? held.readAlong : undefined);
        if (outcome?.kind === 'committed') committed = true;
        if (outcome) return outcome;
        this.metrics.commitRetries.inc();
      }
      throw apiError('write_conflict');
    } finally {
      await section.exit();
      stopHold();
      held.release(committed && held.endsWithCommit === true);
    }
  }

  /** Content already committed is already replicated (and a duplicate under reject): only new content travels. */
  private async replicated(intent: Extract<Intent, { kind: 'write' }>, ready: Promise<unknown>): Promise<void> {
    if (!this.opts.replicate || (await this.store.contentKnown(intent.sha256))) return;
    await ready;
    await this.opts.replicate(intent.sha256, intent.size);
  }

  /**
   * The lock; or, where the lock is a lease in Redis, an upload committed in the same step that takes the lease
   * (FAST_COMMIT_LUA: one Redis round trip instead of two, when no lease is held and the guess below holds). The
   * version is decided on a guess of the state — the version this node committed last for the name, or no file —
   * and of the content (unknown); the script checks both where the commit's compare-and-set would, and a wrong guess
   * costs nothing: the same step then takes the lease and reads the state, as the lease's acquire does. Not with the
   * probe (LOCK_PROBE): it watches critical sections between a lease and its end, which this one has not.
   * `{ done: 'conflict' }`: the commit met a state it did not expect after all (the write goes the long way).
   */
  private take(name: string, intent: Intent, lockOpts: AcquireOptions, ready: Promise<unknown>): Promise<{ held: Held } | { done: WriteOutcome | 'conflict' }> {
    const { lock } = this;
    const last = this.lastCommitted.get(name);
    const guess: FileState = last === undefined ? { count: 0, head: undefined } : { count: last.version, head: last };
    const d = intent.kind === 'write' ? decide(guess, undefined, intent, this.context()) : undefined;
    if (d?.action !== 'commit' || lock.acquireOrCommit === undefined || lockOpts.token !== undefined || this.opts.probe !== undefined) {
      return lock.acquire(name, lockOpts).then((held) => ({ held }));
    }
    return lock.acquireOrCommit<WriteOutcome | 'conflict'>(name, lockOpts, async (token, lease) => {
      await ready;
      const stopHold = this.metrics.lockHoldSeconds.startTimer({ mode: lock.mode });
      const req = { name, expectedCount: guess.count, version: d.version, contentMode: d.contentMode, listed: d.listed, event: d.event };
      const a = await this.store.commitUnleased(req, { token, ...lease, contentUnknown: intent.kind === 'write' && intent.size > 0 });
      if (a.kind === 'busy') return { holder: a.holder, kind: a.lockKind, expiresAt: a.expiresAt };
      if (a.kind === 'leased') return { token, fence: a.fence, expiresAt: a.expiresAt, readAlong: a.readAlong };
      stopHold();
      const res = a.result;
      if (!res.ok && 'refused' in res) throw this.refusal(name, res);
      return { done: res.ok ? await this.afterCommit(name, intent, d, res) : 'conflict' };
    });
  }

  private context(): { policy: DedupPolicy; node: string; now: Date } {
    return { policy: this.opts.policy, node: this.opts.nodeId, now: new Date() };
  }

  /**
   * The probe's view of the critical section (LOCK_PROBE=1; nothing otherwise): left before a commit that ends the
   * lease (another writer may hold it the moment the commit returns) and entered again when that commit did not
   * happen (a conflict: the lease is still held for the next attempt), else left when the hold ends.
   */
  private probedSection(name: string): { enter(): Promise<void>; exit(): Promise<void> } {
    const probe = this.opts.probe;
    let inside = false;
    return {
      enter: async () => {
        await probe?.enter(name);
        inside = true;
      },
      exit: async () => {
        if (!inside) return;
        inside = false;
        await probe?.exit(name);
      },
    };
  }

  /** `readAlong`: the state as read with the lease (first attempt only); else it is read here. */
  private async attempt(name: string, intent: Intent, hold: Hold, readAlong: Held['readAlong']): Promise<WriteOutcome | undefined> {
    const { state, owner } =
      readAlong !== undefined
        ? stateFromFields(readAlong.file, readAlong.content)
        : intent.kind === 'write'
          ? await this.store.stateAndOwner(name, intent.sha256)
          : { state: await this.store.state(name), owner: undefined };
    const d = decide(state, owner, intent, this.context());
    if (d.action === 'reject') {
      if (d.error.code === 'duplicate_content') this.metrics.dedupeHits.inc({ outcome: 'rejected' });
      throw d.error;
    }
    if (d.action === 'unchanged') {
      if (intent.kind === 'write') {
        this.metrics.dedupeHits.inc({ outcome: 'unchanged' });
        this.metrics.dedupeBytesSaved.inc(intent.size);
      }
      return { kind: 'unchanged', head: d.head };
    }
    const res = await this.commit(name, d, state.count, hold);
    return res && this.afterCommit(name, intent, d, res);
  }

  /**
   * Committed: from here the client is told so, whatever happens. A failed invalidation is logged (coherence has
   * already waited out the head lease for members that did not answer), never reported as a failed write.
   */
  private async afterCommit(name: string, intent: Intent, d: Committable, res: Extract<CommitResult, { ok: true }>): Promise<WriteOutcome> {
    this.lastCommitted.set(name, res.record);
    await this.opts.onCommitted(name).catch((err: unknown) => this.opts.log?.error({ name, err: (err as Error).message }, 'after-commit step failed'));
    this.metrics.versionsWritten.inc({ kind: intent.kind });
    this.metrics.eventsPublished.inc({ event: d.event });
    if (d.version.deduplicated) {
      this.metrics.dedupeHits.inc({ outcome: 'linked' });
      this.metrics.dedupeBytesSaved.inc(d.version.size);
    }
    return { kind: 'committed', record: res.record, event: d.event, eventId: res.eventId };
  }

  private refusal(name: string, res: Extract<CommitResult, { refused: string }>): ApiError {
    if (res.refused === 'stale_fence') {
      this.metrics.staleFenceRejections.inc();
      return apiError('stale_fence', undefined, { lastFence: Number(res.detail) });
    }
    return apiError('locked', `"${name}" is locked by ${res.detail}.`, { holder: res.detail });
  }

  /** The decided version committed under the hold; undefined: a conflict (try again). Refusals throw. */
  private async commit(name: string, d: Committable, expectedCount: number, hold: Hold): Promise<Extract<CommitResult, { ok: true }> | undefined> {
    const { held } = hold;
    await hold.ready;
    const endLease = held.endsWithCommit === true;
    if (endLease) await hold.section.exit();
    const res = await this.store.commit({
      name,
      expectedCount,
      version: d.version,
      contentMode: d.contentMode,
      listed: d.listed,
      event: d.event,
      fence: held.fence,
      // the lease this write holds (redis mode) or the lock-API token it carries (any mode)
      lockToken: held.token ?? hold.lockOpts.token,
      endLease,
    });
    if (!res.ok && 'refused' in res) throw this.refusal(name, res);
    if (res.ok) return res;
    if (endLease) await hold.section.enter();
    return undefined;
  }
}
