// The shapes stored in Redis (as JSON) and returned by the API. VersionRecord is a zod schema so the API document
// (http/openapi.ts) describes exactly the type the code builds.
import { z } from 'zod';

export const EVENT_NAMES = ['file_added', 'file_updated', 'file_reverted', 'file_deleted'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

export const versionRecordSchema = z
  .object({
    version: z.int().min(1),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable()
      .meta({ description: 'null for a delete marker' }),
    size: z.int().min(0),
    contentType: z.string().nullable(),
    createdAt: z.iso.datetime().meta({ description: 'ISO 8601, set by the accepting node' }),
    node: z.string().meta({ description: 'id of the node that accepted the write' }),
    revertedFrom: z.int().min(1).nullable().meta({ description: 'the version whose content a revert copied' }),
    deleted: z.boolean(),
    deduplicated: z
      .boolean()
      .meta({ description: 'the content already existed under another name or version, and this version points at that blob' }),
  })
  .meta({ id: 'VersionRecord' });

export type VersionRecord = Readonly<z.infer<typeof versionRecordSchema>>;

/** A version about to be committed: the commit script assigns the number. */
export type NewVersion = Omit<VersionRecord, 'version'>;

export interface ContentOwner {
  readonly name: string;
  readonly version: number;
}

export interface FileState {
  /** number of versions so far (0: the name was never written) */
  readonly count: number;
  readonly head: VersionRecord | undefined;
}

export const isLive = (head: VersionRecord | undefined): head is VersionRecord & { sha256: string } =>
  head !== undefined && !head.deleted && head.sha256 !== null;
