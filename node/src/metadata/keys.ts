// Every Redis key and channel kubecdn uses, in one place. docs/redis-keys.md describes each in more detail.
//
//   kubecdn:file:<name>      hash   count -> number of versions (1..count, contiguous, never rewritten)
//                                   head  -> JSON VersionRecord of version `count` (a copy, for one-read resolution)
//                                   v:<n> -> JSON VersionRecord of version n (delete markers included)
//   kubecdn:files            zset   every name whose head is not a delete marker, score 0 (ordered by bytes: listing)
//   kubecdn:content:<sha256> hash   name, version, size: the file version that first stored this content
//   kubecdn:events           stream capped (MAXLEN ~ EVENTS_STREAM_MAXLEN) log of change events; backs /events resume
//   file_notifications       pubsub the original mini-CDN channel: one JSON message per change
//
// Reserved for later issues (not written yet): kubecdn:nodes / kubecdn:node:<id> (membership),
// kubecdn:lock:<name> and kubecdn:fence:<name> (cluster-wide write locks).

export const PREFIX = 'kubecdn:';

export const keys = {
  file: (name: string): string => `${PREFIX}file:${name}`,
  files: `${PREFIX}files`,
  content: (sha256: string): string => `${PREFIX}content:${sha256}`,
  events: `${PREFIX}events`,
} as const;

export const NOTIFICATION_CHANNEL = 'file_notifications';
