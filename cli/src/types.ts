// The node's answer shapes, as the CLI reads them. VersionRecord is the node's own type: a type-only import, erased
// when compiled, so the CLI still runs without node/ code while the two cannot drift apart.
import type { VersionRecord } from '../../node/src/metadata/types.js';

export type { VersionRecord };

/** PUT, revert and DELETE answers: the new version (201/200), or the head when nothing changed. */
export type WriteResult = VersionRecord & { readonly name: string; readonly event?: string; readonly unchanged?: boolean };

export interface VersionsPage {
  readonly name: string;
  readonly count: number;
  readonly versions: VersionRecord[];
  readonly nextCursor: string | null;
}

export interface FilesPage {
  readonly files: Array<VersionRecord & { readonly name: string }>;
  readonly nextCursor: string | null;
}

/** POST /locks/{name} (201). */
export interface LockGrant {
  readonly name?: string;
  readonly token: string;
  readonly fencingToken: number | string;
  readonly expiresAt: string;
  readonly holder?: string;
}

/** GET /cluster: one node's view (node/src/cluster/cluster.ts ClusterInfo; `standalone` without CLUSTER_SECRET). */
export interface ClusterInfo {
  readonly self: string;
  readonly members: ReadonlyArray<{ readonly id: string; readonly url: string }>;
  readonly standalone?: boolean;
  readonly replicationFactor: number;
  readonly cache: { readonly bytes: number; readonly maxBytes: number; readonly entries: number };
  /** blobs this node's last repair pass could not bring to the replication factor */
  readonly underReplicated: number;
}
