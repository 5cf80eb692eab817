// Rendezvous (highest random weight) hashing: each blob's homes are the members with the highest
// hash(member, digest). Pure. When a member joins or leaves, only the blobs whose top-R set includes it move.
import { createHash } from 'node:crypto';

function weight(member: string, digest: string): bigint {
  return createHash('sha256').update(member).update('\0').update(digest).digest().readBigUInt64BE(0);
}

/** All members, best first (homes first, then the failover order). */
export function rank(digest: string, members: readonly string[]): string[] {
  return [...members]
    .map((m) => ({ m, w: weight(m, digest) }))
    .sort((a, b) => (a.w === b.w ? (a.m < b.m ? -1 : 1) : a.w > b.w ? -1 : 1))
    .map((x) => x.m);
}

/** The R home nodes of a blob (R capped at the member count). */
export function homes(digest: string, members: readonly string[], replication: number): string[] {
  return rank(digest, members).slice(0, Math.max(1, Math.min(replication, members.length)));
}
