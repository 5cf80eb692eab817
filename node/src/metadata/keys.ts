// Every Redis key and channel kubecdn uses, in one place. docs/redis-keys.md describes each in more detail.
//
//   kubecdn:file:<name>      hash   count -> number of versions (1..count, contiguous, never rewritten)
//                                   head  -> JSON VersionRecord of version `count` (a copy, for one-read resolution)
//                                   v:<n> -> JSON VersionRecord of version n (delete markers included)
//   kubecdn:files            zset   every name whose head is not a delete marker, score 0 (ordered by bytes: listing)
//   kubecdn:content:<sha256> hash   name, version, size: the file version that first stored this content
//   kubecdn:pending:<sha256> string a write of this content is between its upload and its commit (PX lease, renewed
//                                   by the writer): garbage collection on every node leaves the blob alone meanwhile
//   kubecdn:events           stream capped (MAXLEN ~ EVENTS_STREAM_MAXLEN) log of change events; backs /events resume
//   file_notifications       pubsub the original mini-CDN channel: one JSON message per change
//
//   kubecdn:members          zset   live node id -> expiry (ms, Redis server time), renewed by each heartbeat
//   kubecdn:members:urls     hash   node id -> URL its peers reach it at
//   kubecdn:stale:<id>       string set by a writer whose invalidation <id> did not acknowledge in time: <id> drops
//                                   its head cache at its next heartbeat (see cluster/coherence.ts)
//
//   kubecdn:lock:<name>      hash   the lease on a name: token, holder, kind (write | api), fence, expiresAt, waited
//                                   (set by a refused acquire); PEXPIRE
//   kubecdn:fence:<name>     string the name's fencing counter (INCR on every lease: only grows)
//   kubecdn:lock-released    pubsub a lease's name, published by its release when someone waited (locks/wakeups.ts)

export const PREFIX = 'kubecdn:';

export const keys = {
  file: (name: string): string => `${PREFIX}file:${name}`,
  files: `${PREFIX}files`,
  content: (sha256: string): string => `${PREFIX}content:${sha256}`,
  pending: (sha256: string): string => `${PREFIX}pending:${sha256}`,
  events: `${PREFIX}events`,
  members: `${PREFIX}members`,
  memberUrls: `${PREFIX}members:urls`,
  stale: (nodeId: string): string => `${PREFIX}stale:${nodeId}`,
  lock: (name: string): string => `${PREFIX}lock:${name}`,
  fence: (name: string): string => `${PREFIX}fence:${name}`,
} as const;

export const NOTIFICATION_CHANNEL = 'file_notifications';
/** A lease's name, published when its holder releases it (wakes waiters on every node). */
export const LOCK_RELEASED_CHANNEL = `${PREFIX}lock-released`;
