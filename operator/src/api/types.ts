// CdnCluster spec and status types: inferred from the zod schemas in schema.ts, which also generate the CRD.
import type { z } from 'zod';
import type { cdnClusterSchema, cdnClusterSpecSchema, cdnClusterStatusSchema, conditionSchema } from './schema.js';

/** A spec after defaulting: every defaulted field is present. */
export type CdnClusterSpec = z.output<typeof cdnClusterSpecSchema>;
/** A spec as a user writes it. */
export type CdnClusterSpecInput = z.input<typeof cdnClusterSpecSchema>;
export type CdnClusterStatus = z.output<typeof cdnClusterStatusSchema>;
export type Condition = z.output<typeof conditionSchema>;
export type CdnCluster = z.output<typeof cdnClusterSchema>;

export type ConditionType = 'Ready' | 'Progressing' | 'Degraded' | 'StorageResized';
