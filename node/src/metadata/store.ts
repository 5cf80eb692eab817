// Version history, listing and content index in Redis. Reads are plain commands; every change goes through the
// one commit script (see scripts.ts), so this module is the only writer of metadata.
import type { Redis } from 'ioredis';
import { readAlongFrom } from '../locks/redisLease.js';
import type { ReadAlong } from '../locks/types.js';
import { keys, LOCK_RELEASED_CHANNEL, NOTIFICATION_CHANNEL } from './keys.js';
import { COMMIT_LUA, FAST_COMMIT_LUA, FIELD_OF_EACH_LUA } from './scripts.js';
import { isLive, type ContentOwner, type EventName, type FileState, type NewVersion, type VersionRecord } from './types.js';
import type { ContentMode } from './versionRules.js';

import type { Result } from 'ioredis';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    kubecdnCommit(
      fileKey: string,
      filesKey: string,
      contentKey: string,
      eventsKey: string,
      lockKey: string,
      ...args: (string | number)[]
    ): Result<[string, string, string?], Context>;
    kubecdnFastCommit(...keysThenArgs: (string | number)[]): Result<(string | number | null)[], Context>;
    kubecdnFieldOfEach(numberOfKeys: number, ...keysThenField: string[]): Result<(string | null)[], Context>;
  }
}

export interface CommitRequest {
  readonly name: string;
  readonly expectedCount: number;
  readonly version: NewVersion;
  readonly contentMode: ContentMode;
  readonly listed: boolean;
  readonly event: EventName;
  /** the hold's fencing token (0: none) and lease token */
  readonly fence: number;
  readonly lockToken: string | undefined;
  /** the lease is this write's own and ends with the commit (Held.endsWithCommit) */
  readonly endLease: boolean;
}

export type CommitResult =
  | { readonly ok: true; readonly record: VersionRecord; readonly eventId: string }
  | { readonly ok: false; readonly conflict: string }
  | { readonly ok: false; readonly refused: 'locked' | 'stale_fence'; readonly detail: string };

export interface FileHead {
  readonly name: string;
  readonly head: VersionRecord;
}

/** Keys per FIELD_OF_EACH_LUA call: ~0.5 ms of Redis' time at most. */
const FIELD_OF_EACH_MAX_KEYS = 500;

// Placeholder key for commits that do not touch the content index (deletes): the script never reads it then.
const NO_CONTENT_KEY = keys.content('none');

export interface StateAndOwner {
  readonly state: FileState;
  readonly owner: ContentOwner | undefined;
}

/** The file's count and head, and the content's name and version (absent: null or missing), as a state. Pure. */
export function stateFromFields(file: readonly (string | null | undefined)[], content: readonly (string | null | undefined)[] = []): StateAndOwner {
  const [count, head] = file;
  const [ownerName, ownerVersion] = content;
  return {
    state: { count: Number(count ?? 0), head: parseRecord(head ?? null) },
    owner: ownerName && ownerVersion ? { name: ownerName, version: Number(ownerVersion) } : undefined,
  };
}

export class MetadataStore {
  constructor(
    private readonly redis: Redis,
    private readonly eventsMaxLen: number,
  ) {
    redis.defineCommand('kubecdnCommit', { numberOfKeys: 5, lua: COMMIT_LUA });
    redis.defineCommand('kubecdnFastCommit', { numberOfKeys: 6, lua: FAST_COMMIT_LUA });
    redis.defineCommand('kubecdnFieldOfEach', { lua: FIELD_OF_EACH_LUA }); // the key count goes first in each call
  }

  /**
   * `field` of each hash in `hashKeys`, in order (null: absent): one script call (scripts.ts: FIELD_OF_EACH_LUA) per
   * FIELD_OF_EACH_MAX_KEYS, sent together. The cap bounds how long one call holds Redis (~1 µs a key) from the
   * commits and reads of other clients.
   */
  private async fieldOfEach(hashKeys: readonly string[], field: string): Promise<(string | null)[]> {
    const calls: Promise<(string | null)[]>[] = [];
    for (let i = 0; i < hashKeys.length; i += FIELD_OF_EACH_MAX_KEYS) {
      const some = hashKeys.slice(i, i + FIELD_OF_EACH_MAX_KEYS);
      calls.push(this.redis.kubecdnFieldOfEach(some.length, ...some, field));
    }
    return (await Promise.all(calls)).flat();
  }

  /** The version count and head in one round trip. */
  async state(name: string): Promise<FileState> {
    const [count, head] = await this.redis.hmget(keys.file(name), 'count', 'head');
    return { count: count === null ? 0 : Number(count), head: parseRecord(head) };
  }

  /** Head only (the read path). */
  async head(name: string): Promise<VersionRecord | undefined> {
    return parseRecord(await this.redis.hget(keys.file(name), 'head'));
  }

  /** The state of a name and the first owner of some content, in one round trip. */
  async stateAndOwner(name: string, sha256: string): Promise<StateAndOwner> {
    const [file = [], content = []] = unwrap<(string | null)[]>(
      await this.redis.pipeline().hmget(keys.file(name), 'count', 'head').hmget(keys.content(sha256), 'name', 'version').exec(),
    );
    return stateFromFields(file, content);
  }

  async owner(sha256: string): Promise<ContentOwner | undefined> {
    const [name, version] = await this.redis.hmget(keys.content(sha256), 'name', 'version');
    return name && version ? { name, version: Number(version) } : undefined;
  }

  /** The size of committed content (from the content index), or undefined when it was never committed. */
  async contentSize(sha256: string): Promise<number | undefined> {
    const size = await this.redis.hget(keys.content(sha256), 'size');
    return size === null ? undefined : Number(size);
  }

  /** Marks content as about to be committed for `ttlMs` (renewed by the writer while it waits; see gc.ts). */
  async markPending(sha256: string, ttlMs: number): Promise<void> {
    await this.redis.set(keys.pending(sha256), '1', 'PX', ttlMs);
  }

  /** For each blob: does a version reference it, or is a write of it between upload and commit? One round trip for all (garbage collection asks about every local blob). */
  async contentInUseMany(shas: readonly string[]): Promise<boolean[]> {
    if (shas.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const sha of shas) pipe.exists(keys.content(sha), keys.pending(sha));
    return unwrap<number>(await pipe.exec()).map((n) => n > 0);
  }

  async contentKnown(sha256: string): Promise<boolean> {
    return (await this.redis.exists(keys.content(sha256))) === 1;
  }

  /**
   * contentSize for many at once, in order (undefined: never committed): one pipelined round trip for a repair batch,
   * not one per digest.
   */
  async contentSizes(digests: readonly string[]): Promise<Array<number | undefined>> {
    const sizes = await this.fieldOfEach(digests.map(keys.content), 'size');
    return sizes.map((size) => (size === null ? undefined : Number(size)));
  }

  async version(name: string, version: number): Promise<VersionRecord | undefined> {
    return parseRecord(await this.redis.hget(keys.file(name), `v:${version}`));
  }

  /** History newest first: versions below `before` (exclusive; default: all), at most `limit`. */
  async versions(
    name: string,
    before: number | undefined,
    limit: number,
  ): Promise<{ count: number; versions: VersionRecord[] }> {
    const count = Number((await this.redis.hget(keys.file(name), 'count')) ?? 0);
    const top = Math.min(count, (before ?? count + 1) - 1);
    const wanted: string[] = [];
    for (let v = top; v >= 1 && wanted.length < limit; v--) wanted.push(`v:${v}`);
    if (wanted.length === 0) return { count, versions: [] };
    const raw = await this.redis.hmget(keys.file(name), ...wanted);
    return { count, versions: raw.map(parseRecord).filter((r): r is VersionRecord => r !== undefined) };
  }

  /** Names in byte order starting with `prefix`, after `cursor` (exclusive), with their heads. */
  async list(prefix: string, cursor: string | undefined, limit: number): Promise<{ files: FileHead[]; next: string | undefined }> {
    const p = Buffer.from(prefix, 'utf8');
    // Start after the cursor when it lies inside the prefix range (byte order, as Redis compares), else at the prefix.
    const afterCursor = cursor !== undefined && Buffer.compare(Buffer.from(cursor, 'utf8'), p) >= 0;
    const min = afterCursor ? `(${cursor}` : Buffer.concat([Buffer.from('['), p]);
    const max = Buffer.concat([Buffer.from('['), p, Buffer.from([0xff])]);
    const names = await this.redis.zrangebylex(keys.files, min, max, 'LIMIT', 0, limit + 1);
    const more = names.length > limit;
    const page = names.slice(0, limit);
    const heads = await this.fieldOfEach(page.map(keys.file), 'head');
    const files: FileHead[] = [];
    page.forEach((name, i) => {
      const head = parseRecord(heads[i]);
      if (isLive(head)) files.push({ name, head });
    });
    // the page's last name, listed or not: a page whose names were all deleted meanwhile must not end the listing
    return { files, next: more ? page.at(-1) : undefined };
  }

  /** Commits one version atomically if the count is still `expectedCount`. */
  async commit(req: CommitRequest): Promise<CommitResult> {
    const { keyList, args } = commitArgs(req, this.eventsMaxLen);
    return commitResult(await this.redis.kubecdnCommit(...keyList, ...args));
  }

  /**
   * A write's lease and commit in one round trip (scripts.ts FAST_COMMIT_LUA): `req` was decided on the name having
   * `req.expectedCount` versions and, with `contentUnknown`, on its content being unknown. Commits when that holds
   * and no lease is held; else answers as a lease's acquire would (the holder, or a lease with the actual state).
   */
  async commitUnleased(req: UnleasedCommit, lease: UnleasedLease): Promise<UnleasedAnswer> {
    const { keyList, args } = commitArgs({ ...req, fence: 0, lockToken: lease.token, endLease: true }, this.eventsMaxLen);
    const r = await this.redis.kubecdnFastCommit(...keyList, keys.fence(req.name), ...args, lease.ttlMs, lease.holder, 'write', lease.contentUnknown ? '1' : '0');
    if (r[0] === 'busy') return { kind: 'busy', holder: String(r[1]), lockKind: String(r[2]), expiresAt: Number(r[3]) };
    // (laid out as the lease's ACQUIRE answers a granted lease)
    if (r[0] === 'leased') return { kind: 'leased', fence: Number(r[1]), expiresAt: Number(r[2]), readAlong: readAlongFrom(r, true) };
    return { kind: 'commit', result: commitResult(r as [string, string, string?]) };
  }
}

export type UnleasedCommit = Omit<CommitRequest, 'fence' | 'lockToken' | 'endLease'>;

export interface UnleasedLease {
  /** the lease token of this try (a fresh one), its ttl and holder, as a lease's acquire takes them */
  readonly token: string;
  readonly ttlMs: number;
  readonly holder: string;
  /** the version was decided on the content being unknown: its index entry must be absent */
  readonly contentUnknown: boolean;
}

export type UnleasedAnswer =
  | { readonly kind: 'commit'; readonly result: CommitResult }
  | { readonly kind: 'busy'; readonly holder: string; readonly lockKind: string; readonly expiresAt: number }
  | { readonly kind: 'leased'; readonly fence: number; readonly expiresAt: number; readonly readAlong: ReadAlong };

/** COMMIT_LUA's keys and arguments for a request (scripts.ts). Pure. */
function commitArgs(req: CommitRequest, eventsMaxLen: number): { keyList: [string, string, string, string, string]; args: (string | number)[] } {
  const { version } = req;
  const event = {
    event: req.event,
    filename: req.name,
    sha256: version.sha256,
    size: version.size,
    node: version.node,
    time: version.createdAt,
    ...(version.revertedFrom !== null ? { revertedFrom: version.revertedFrom } : {}),
  };
  return {
    keyList: [keys.file(req.name), keys.files, version.sha256 === null ? NO_CONTENT_KEY : keys.content(version.sha256), keys.events, keys.lock(req.name)],
    args: [
      req.expectedCount,
      JSON.stringify(version),
      req.name,
      req.contentMode,
      req.listed ? '1' : '0',
      JSON.stringify(event),
      eventsMaxLen,
      NOTIFICATION_CHANNEL,
      version.size,
      req.fence,
      req.lockToken ?? '',
      req.endLease ? '1' : '0',
      LOCK_RELEASED_CHANNEL,
    ],
  };
}

/** COMMIT_LUA's answer as a result. Pure. */
function commitResult([status, payload, id]: [string, string, string?]): CommitResult {
  if (status === 'refused') return { ok: false, refused: payload as 'locked' | 'stale_fence', detail: id ?? '' };
  if (status !== 'ok') return { ok: false, conflict: payload };
  return { ok: true, record: JSON.parse(payload) as VersionRecord, eventId: id ?? '' };
}

/** The values of a pipeline's replies; the first failed command's error is thrown. */
function unwrap<T>(replies: [Error | null, unknown][] | null): T[] {
  return (replies ?? []).map(([err, value]) => {
    if (err) throw err;
    return value as T;
  });
}

function parseRecord(raw: string | null | undefined): VersionRecord | undefined {
  return raw ? (JSON.parse(raw) as VersionRecord) : undefined;
}
