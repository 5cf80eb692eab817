// The shapes stored in Redis (as JSON) and returned by the API.

export interface VersionRecord {
  readonly version: number;
  /** null for a delete marker */
  readonly sha256: string | null;
  readonly size: number;
  readonly contentType: string | null;
  /** ISO 8601, set by the accepting node */
  readonly createdAt: string;
  /** id of the node that accepted the write */
  readonly node: string;
  /** the version whose content a revert copied */
  readonly revertedFrom: number | null;
  readonly deleted: boolean;
  /** the content already existed under another name or version, and this version points at that blob */
  readonly deduplicated: boolean;
}

/** A version about to be committed: the commit script assigns the number. */
export type NewVersion = Omit<VersionRecord, 'version'>;

export interface ContentOwner {
  readonly name: string;
  readonly version: number;
}

export type EventName = 'file_added' | 'file_updated' | 'file_reverted' | 'file_deleted';

export interface FileState {
  /** number of versions so far (0: the name was never written) */
  readonly count: number;
  readonly head: VersionRecord | undefined;
}

export const isLive = (head: VersionRecord | undefined): head is VersionRecord & { sha256: string } =>
  head !== undefined && !head.deleted && head.sha256 !== null;
